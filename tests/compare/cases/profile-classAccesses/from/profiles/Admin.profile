<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <classAccesses>
        <apexClass>InvoiceService</apexClass>
        <enabled>false</enabled>
    </classAccesses>
    <classAccesses>
        <apexClass>LeadRouter</apexClass>
        <enabled>false</enabled>
    </classAccesses>
    <custom>false</custom>
    <userLicense>Salesforce</userLicense>
</Profile>
