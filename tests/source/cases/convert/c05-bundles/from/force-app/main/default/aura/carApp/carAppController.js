({ init: function() {} })
