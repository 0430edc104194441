<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>false</custom>
    <loginIpRanges>
        <description>office, second floor</description>
        <endAddress>10.0.0.127</endAddress>
        <startAddress>10.0.0.0</startAddress>
    </loginIpRanges>
    <loginIpRanges>
        <description>office</description>
        <endAddress>10.0.3.255</endAddress>
        <startAddress>10.0.0.0</startAddress>
    </loginIpRanges>
    <userLicense>Salesforce</userLicense>
</Profile>
