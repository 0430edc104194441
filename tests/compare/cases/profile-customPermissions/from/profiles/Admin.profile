<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <customPermissions>
        <enabled>false</enabled>
        <name>Approve_Discounts</name>
    </customPermissions>
    <customPermissions>
        <enabled>false</enabled>
        <name>Export_Leads</name>
    </customPermissions>
    <userLicense>Salesforce</userLicense>
</Profile>
