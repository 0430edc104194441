<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <customSettingAccesses>
        <enabled>false</enabled>
        <name>Billing_Settings__c</name>
    </customSettingAccesses>
    <customSettingAccesses>
        <enabled>false</enabled>
        <name>Feature_Flags__c</name>
    </customSettingAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
