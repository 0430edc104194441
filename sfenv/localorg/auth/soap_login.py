"""The partner SOAP `login` call: a loginResponse with serverUrl/sessionId/userInfo, or an
`INVALID_LOGIN` LoginFault, as Salesforce answers `POST /services/Soap/u/{version}`."""

from __future__ import annotations

from sfenv.localorg import soap
from sfenv.localorg.auth.identity import profile_id
from sfenv.localorg.replies import Reply
from sfenv.localorg.state import OrgState

LOGIN_FAILED = "Invalid username, password, security token; or user locked out."


def soap_login(org: OrgState, base_url: str, body: bytes, version: str) -> Reply:
    """`POST /services/Soap/u/{version}`: the partner API `login` call."""
    try:
        operation, _, op_el = soap.parse_envelope(body)
    except soap.SoapFault as err:
        return _partner_fault(err.code, err.message)
    if operation != "login":
        return _partner_fault("INVALID_OPERATION", f"operation {operation} is not supported here")
    args = soap.bind_arguments(op_el, (("username", False), ("password", False)))
    username = next((el.text or "" for el in args["username"]), "")
    password = next((el.text or "" for el in args["password"]), "")
    user = org.check_password(username, password)
    if user is None:
        return _partner_fault("INVALID_LOGIN", LOGIN_FAILED, fault_type="LoginFault")
    session_id = org.create_session(user)
    org15 = org.org_id[:15]
    x = soap.xml_text
    info = {
        "accessibilityMode": "false", "chatterExternal": "false", "currencySymbol": "$",
        "orgAttachmentFileSizeLimit": "5242880", "orgDefaultCurrencyIsoCode": "USD",
        "orgDefaultCurrencyLocale": "en_US", "orgDisallowHtmlAttachments": "false",
        "orgHasPersonAccounts": "false", "organizationId": org.org_id,
        "organizationMultiCurrency": "false", "organizationName": org.org_name,
        "profileId": profile_id(org, user.profile), "roleId": None,
        "sessionSecondsValid": str(org.session_seconds), "userDefaultCurrencyIsoCode": None,
        "userEmail": user.email, "userFullName": user.name, "userId": user.id,
        "userLanguage": "en_US", "userLocale": "en_US", "userName": user.username,
        "userTimeZone": "America/Los_Angeles", "userType": "Standard", "userUiSkin": "Theme3",
    }
    info_xml = "".join(f'<{k} xsi:nil="true"/>' if v is None else f"<{k}>{x(v)}</{k}>"
                       for k, v in info.items())
    result = (
        "<loginResponse><result>"
        f"<metadataServerUrl>{x(base_url)}/services/Soap/m/{x(version)}/{org15}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired>"
        f"<sandbox>{'true' if org.is_sandbox else 'false'}</sandbox>"
        f"<serverUrl>{x(base_url)}/services/Soap/u/{x(version)}/{org15}</serverUrl>"
        f"<sessionId>{x(session_id)}</sessionId><userId>{user.id}</userId>"
        f"<userInfo>{info_xml}</userInfo></result></loginResponse>"
    )
    return 200, soap.CONTENT_TYPE, soap.envelope(result, ns=soap.PARTNER_NS)


def _partner_fault(code: str, message: str, fault_type: str = "UnexpectedErrorFault") -> Reply:
    body = soap.fault(code, message, ns=soap.PARTNER_FAULT_NS, fault_type=fault_type)
    return soap.FAULT_STATUS, soap.CONTENT_TYPE, body
