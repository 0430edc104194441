<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <servicePresenceStatusAccesses>
        <servicePresenceStatus>Available</servicePresenceStatus>
    </servicePresenceStatusAccesses>
    <servicePresenceStatusAccesses>
        <servicePresenceStatus>On_Break</servicePresenceStatus>
    </servicePresenceStatusAccesses>
    <userLicense>Salesforce</userLicense>
</Profile>
