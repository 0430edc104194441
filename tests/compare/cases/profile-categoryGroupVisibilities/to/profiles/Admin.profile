<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <categoryGroupVisibilities>
        <dataCategoryGroup>Products</dataCategoryGroup>
        <visibility>ALL</visibility>
    </categoryGroupVisibilities>
    <categoryGroupVisibilities>
        <dataCategoryGroup>Topics</dataCategoryGroup>
        <visibility>NONE</visibility>
    </categoryGroupVisibilities>
    <custom>false</custom>
    <userLicense>Salesforce</userLicense>
</Profile>
