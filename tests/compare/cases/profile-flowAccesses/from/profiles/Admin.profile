<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <flowAccesses>
        <enabled>false</enabled>
        <flow>Lead_Intake</flow>
    </flowAccesses>
    <flowAccesses>
        <enabled>false</enabled>
        <flow>Order_Approval</flow>
    </flowAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
