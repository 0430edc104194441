"""Sending one event to the channels that want it: retried with backoff, never fatal.

A notification that cannot be delivered must not fail the release it reports on: each
delivery ends as a `Delivery` (sent or failed, with the reason) for the caller to warn about and
record. Secrets (webhook URLs, SMTP passwords) come from environment variables and never appear
in a reason.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from sfenv.config.notify import NotifyChannel
from sfenv.services.notify import payloads
from sfenv.services.notify.events import Event

ATTEMPTS = 3
BACKOFF_S = 0.5  # 0.5 s, 1 s, 2 s…
MAX_WAIT_S = 30.0  # a Retry-After longer than this is not waited for
TIMEOUT_S = 10.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Delivery:
    channel: str
    kind: str
    event: str
    ok: bool
    attempts: int
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Poster(Protocol):
    def __call__(self, url: str, *, json: Any, timeout: float) -> requests.Response: ...


class Failed(Exception):
    """One attempt failed; `retry` says whether another may succeed, `wait` how long first."""

    def __init__(self, reason: str, retry: bool, wait: float | None = None) -> None:
        super().__init__(reason)
        self.retry, self.wait = retry, wait


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _post(channel: NotifyChannel, event: Event, environ: Mapping[str, str],
          post: Poster) -> None:
    url = environ.get(channel.url_env, "")
    if not url:
        raise Failed(f"environment variable {channel.url_env} is not set", retry=False)
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise Failed(f"the URL in {channel.url_env} must be https", retry=False)
    body = {"slack": payloads.slack, "teams": payloads.teams,
            "webhook": payloads.webhook}[channel.kind](event)
    try:
        response = post(url, json=body, timeout=TIMEOUT_S)
    except requests.RequestException as err:
        raise Failed(f"could not reach the webhook ({type(err).__name__})", retry=True) from None
    if response.status_code == 429 or response.status_code >= 500:
        raise Failed(f"the webhook answered {response.status_code}", retry=True,
                     wait=_retry_after(response))
    if response.status_code >= 300:
        raise Failed(f"the webhook answered {response.status_code}", retry=False)


def _send_mail(channel: NotifyChannel, event: Event, environ: Mapping[str, str],
               smtp: Callable[[str, int], smtplib.SMTP]) -> None:
    message = payloads.email(event, channel.sender, channel.to)
    user = environ.get(channel.username_env, "") if channel.username_env else ""
    password = environ.get(channel.password_env, "") if channel.password_env else ""
    if channel.username_env and not user:
        raise Failed(f"environment variable {channel.username_env} is not set", retry=False)
    if channel.password_env and not password:
        raise Failed(f"environment variable {channel.password_env} is not set", retry=False)
    try:
        with smtp(channel.smtp_host, channel.smtp_port) as server:
            if channel.starttls:
                server.starttls(context=ssl.create_default_context())
            if user:
                server.login(user, password)
            server.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise Failed("the SMTP server refused the login", retry=False) from None
    except smtplib.SMTPRecipientsRefused:
        raise Failed("the SMTP server refused the recipients", retry=False) from None
    except (smtplib.SMTPException, OSError) as err:
        raise Failed(f"SMTP failed ({type(err).__name__})", retry=True) from None


def _smtp(host: str, port: int) -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=TIMEOUT_S)


def _default_post(url: str, *, json: Any, timeout: float) -> requests.Response:
    return requests.post(url, json=json, timeout=timeout)


def send(channels: Sequence[NotifyChannel], event: Event, *,
         environ: Mapping[str, str], post: Poster = _default_post,
         smtp: Callable[[str, int], smtplib.SMTP] = _smtp,
         sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Deliver `event` to every channel that wants it; one Delivery per channel tried."""
    out: list[Delivery] = []
    for channel in channels:
        if not channel.wants(event.kind, event.env):
            continue
        delivery = Delivery(channel.name, channel.kind, event.kind, ok=False, attempts=0)
        for attempt in range(1, ATTEMPTS + 1):
            delivery.attempts = attempt
            try:
                if channel.kind == "email":
                    _send_mail(channel, event, environ, smtp)
                else:
                    _post(channel, event, environ, post)
            except Failed as err:
                delivery.reason = str(err)
                if not err.retry or attempt == ATTEMPTS:
                    break
                wait = err.wait if err.wait is not None else BACKOFF_S * 2 ** (attempt - 1)
                if wait > MAX_WAIT_S:
                    delivery.reason += f" (asked to wait {wait:g} s: not waited for)"
                    break
                sleep(wait)
                continue
            delivery.ok, delivery.reason = True, ""
            break
        out.append(delivery)
    return out
