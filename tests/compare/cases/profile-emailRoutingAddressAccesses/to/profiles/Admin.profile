<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <emailRoutingAddressAccesses>
        <enabled>false</enabled>
        <name>billing_inbox</name>
    </emailRoutingAddressAccesses>
    <emailRoutingAddressAccesses>
        <enabled>true</enabled>
        <name>support_inbox</name>
    </emailRoutingAddressAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
