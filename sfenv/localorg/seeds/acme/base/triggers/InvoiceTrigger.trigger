trigger InvoiceTrigger on Invoice__c (before insert, before update) {
    InvoiceTriggerHandler handler = new InvoiceTriggerHandler();
    if (Trigger.isInsert) {
        handler.beforeInsert(Trigger.new);
    } else if (Trigger.isUpdate) {
        handler.beforeUpdate(Trigger.new, Trigger.oldMap);
    }
}
