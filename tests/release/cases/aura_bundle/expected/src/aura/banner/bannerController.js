({
    init: function (cmp) {}
})
