"""What every local org handler returns: `(status, content type, body)`, and the JSON shapes
Salesforce's REST and OAuth endpoints share."""

from __future__ import annotations

import json

# (status, content type, body), or with extra response headers (Bulk API 2.0's Sforce-Locator)
Reply = tuple[int, str, bytes] | tuple[int, str, bytes, dict[str, str]]
JSON = "application/json;charset=UTF-8"


def json_reply(status: int, body: object) -> Reply:
    return status, JSON, json.dumps(body).encode()


def rest_error(status: int, code: str, message: str) -> Reply:
    """REST's error body: `[{"message", "errorCode"}]`."""
    return json_reply(status, [{"message": message, "errorCode": code}])
