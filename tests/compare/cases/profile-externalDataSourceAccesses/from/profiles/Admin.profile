<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <externalDataSourceAccesses>
        <enabled>false</enabled>
        <externalDataSource>Erp_Orders</externalDataSource>
    </externalDataSourceAccesses>
    <externalDataSourceAccesses>
        <enabled>false</enabled>
        <externalDataSource>Legacy_Db</externalDataSource>
    </externalDataSourceAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
