"""Logins as Salesforce answers them: the partner SOAP `login` call (`soap_login`), the OAuth
2.0 token endpoint (`oauth`), and who the session's user is (`identity`: userinfo, the identity
URL, profile ids). Each handler returns `(status, content_type, body)`."""
