<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <classAccesses>
        <apexClass>InvoiceService</apexClass>
        <enabled>true</enabled>
    </classAccesses>
    <classAccesses>
        <apexClass>OrderSync</apexClass>
        <enabled>false</enabled>
    </classAccesses>
    <custom>false</custom>
    <userLicense>Salesforce</userLicense>
</Profile>
