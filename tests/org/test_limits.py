"""Request limits over canned answers: the concurrent long-call limit waits with jitter and
asks again within a bounded time, then stops with one line naming the limit; the daily
allowance stops at once."""

from __future__ import annotations

import pytest

from sfenv.errors import RequestLimitError
from sfenv.io.org.retry import RetryPolicy
from tests.org.canned import Canned, envelope, fault

CONCURRENT = fault("REQUEST_LIMIT_EXCEEDED",
                   "ConcurrentRequests (Concurrent API Requests) Limit exceeded.")
DAILY = fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
DEPLOY_STARTED = envelope("deploy", "<result><done>false</done><id>0Af000000000001</id>"
                          "<state>Queued</state></result>")
LIST = envelope("listMetadata", "<result><fullName>A</fullName><type>ApexClass</type></result>")


def test_the_concurrent_limit_waits_with_jitter_and_asks_again(monkeypatch):
    canned = Canned(monkeypatch, [CONCURRENT, CONCURRENT, CONCURRENT, LIST])
    assert canned.client.list_metadata([{"type": "ApexClass"}]) == [
        {"fullName": "A", "type": "ApexClass"}]
    assert canned.client.calls == 4
    policy = RetryPolicy()
    for attempt, slept in enumerate(canned.sleeps):  # growing, never all at the top
        top = min(policy.limit_max_delay, policy.limit_base_delay * 2 ** attempt)
        assert top * 0.25 <= slept <= top


def test_waits_for_the_concurrent_limit_spend_no_attempts(monkeypatch):
    # 8 refusals then the answer: more asks than the 5 attempts of passing errors allow
    canned = Canned(monkeypatch, [CONCURRENT] * 8 + [LIST])
    assert canned.client.list_metadata([{"type": "ApexClass"}])
    assert canned.client.calls == 9


def test_a_deploy_refused_for_the_concurrent_limit_is_submitted_again(monkeypatch):
    canned = Canned(monkeypatch, [CONCURRENT, DEPLOY_STARTED])  # refused: it never ran
    assert canned.client.submit_deploy(b"PK") == "0Af000000000001"
    assert canned.operations == ["deploy", "deploy"]


def test_the_concurrent_limit_stops_after_the_bounded_wait_with_one_line(monkeypatch):
    policy = RetryPolicy(limit_wait=60.0)
    canned = Canned(monkeypatch, [CONCURRENT] * 100, policy=policy)
    with pytest.raises(RequestLimitError) as err:
        canned.client.list_metadata([{"type": "ApexClass"}])
    message = str(err.value)
    assert "\n" not in message and err.value.exit_code == 3
    assert message.startswith("qa: listMetadata(ApexClass) failed: REQUEST_LIMIT_EXCEEDED: "
                              "ConcurrentRequests")
    assert "25 calls of 20 s or more at a time" in message
    assert sum(canned.sleeps) <= 60.0 and canned.client.calls < 100


def test_the_daily_allowance_stops_at_once(monkeypatch):
    canned = Canned(monkeypatch, [DAILY, LIST])
    with pytest.raises(RequestLimitError, match="rolling 24-hour allowance"):
        canned.client.list_metadata([{"type": "ApexClass"}])
    assert canned.client.calls == 1 and canned.sleeps == []


def test_a_rest_query_refused_for_long_transactions_waits_too(monkeypatch):
    from simple_salesforce.exceptions import SalesforceRefusedRequest

    canned = Canned(monkeypatch, [])
    answers = [SalesforceRefusedRequest("https://canned.example/q", 403, "query", [
        {"errorCode": "REQUEST_LIMIT_EXCEEDED",
         "message": "ConcurrentPerOrgLongTxn Limit exceeded."}])]

    def run():
        if answers:
            raise answers.pop()
        return [{"Id": "001"}]

    assert canned.client._call("query", run) == [{"Id": "001"}]
    assert canned.client.calls == 2 and len(canned.sleeps) == 1
