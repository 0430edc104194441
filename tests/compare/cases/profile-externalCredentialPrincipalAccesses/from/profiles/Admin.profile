<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <externalCredentialPrincipalAccesses>
        <enabled>false</enabled>
        <externalCredentialPrincipal>Billing-Named</externalCredentialPrincipal>
    </externalCredentialPrincipalAccesses>
    <externalCredentialPrincipalAccesses>
        <enabled>false</enabled>
        <externalCredentialPrincipal>Erp-Named</externalCredentialPrincipal>
    </externalCredentialPrincipalAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
