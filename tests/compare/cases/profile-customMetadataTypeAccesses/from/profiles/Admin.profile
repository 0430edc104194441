<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <customMetadataTypeAccesses>
        <enabled>false</enabled>
        <name>Region_Setting__mdt</name>
    </customMetadataTypeAccesses>
    <customMetadataTypeAccesses>
        <enabled>false</enabled>
        <name>Tax_Rate__mdt</name>
    </customMetadataTypeAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
