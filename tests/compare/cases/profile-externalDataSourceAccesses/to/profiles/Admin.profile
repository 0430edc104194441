<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <externalDataSourceAccesses>
        <enabled>true</enabled>
        <externalDataSource>Erp_Orders</externalDataSource>
    </externalDataSourceAccesses>
    <externalDataSourceAccesses>
        <enabled>false</enabled>
        <externalDataSource>Warehouse</externalDataSource>
    </externalDataSourceAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
