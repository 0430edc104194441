"""The SOAP Metadata API of the local org: envelope helpers, describe/list/read, retrieve,
deploy (with validation and quick deploy), async jobs, the audit trail of deploys. Entry:
`api.handle(org, body, version)`."""
