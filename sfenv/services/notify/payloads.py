"""Each channel's own message format, built from one Event (pure: no I/O).

- Slack incoming webhooks: a `text` fallback and Block Kit `blocks` (header, section, fields,
  context); Slack's limits are kept (header 150 characters, section text 3,000, 10 fields of
  2,000, 50 blocks).
- Microsoft Teams incoming webhooks (Workflows): a `message` whose one attachment is an
  Adaptive Card 1.4 (TextBlock, FactSet).
- A generic JSON webhook: the event itself, with `source: sfenv` and a schema version.
- Email: a plain-text message.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sfenv.services.notify.events import Event

SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
SLACK_FIELD_MAX = 2000
SLACK_FIELDS_MAX = 10
SUMMARY_MAX = 1000
MAX_LINES = 20  # details beyond these are counted, not sent: a message is no report
WEBHOOK_SCHEMA = 1


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(event: Event) -> list[str]:
    shown = list(event.lines[:MAX_LINES])
    if len(event.lines) > MAX_LINES:
        shown.append(f"… and {len(event.lines) - MAX_LINES} more")
    return shown


def _heading(event: Event) -> str:
    where = f" [{event.env}]" if event.env else ""
    return f"sfenv{where}: {event.title}"


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters (its documented escaping: & < > only)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(event: Event) -> dict[str, Any]:
    summary = _cut(event.summary, SUMMARY_MAX)  # leaves room for the detail lines
    body = "\n".join(x for x in [summary, *(f"• {line}" for line in _lines(event))] if x)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(_heading(event),
                                                                       SLACK_HEADER_MAX)}},
    ]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                    "text": _cut(_slack_escape(body),
                                                                 SLACK_TEXT_MAX)}})
    if event.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": _cut(f"*{_slack_escape(n)}*\n{_slack_escape(v)}",
                                            SLACK_FIELD_MAX)}
            for n, v in event.facts[:SLACK_FIELDS_MAX]]})
    if event.command:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
            f"Next: `{_slack_escape(event.command)}`", SLACK_TEXT_MAX)}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": _cut(_slack_escape(
            f"{event.project or 'sfenv'} · {event.kind} · {event.at}"), SLACK_FIELD_MAX)}]})
    return {"text": _cut(f"{_heading(event)}: {event.summary}" if event.summary
                         else _heading(event), SLACK_TEXT_MAX), "blocks": blocks}


def teams(event: Event) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _heading(event), "weight": "Bolder", "size": "Medium",
         "wrap": True},
    ]
    if event.summary:
        body.append({"type": "TextBlock", "text": event.summary, "wrap": True})
    if event.facts:
        body.append({"type": "FactSet", "facts": [{"title": n, "value": v}
                                                  for n, v in event.facts]})
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "None"}
             for line in _lines(event)]
    if event.command:
        body.append({"type": "TextBlock", "text": f"Next: {event.command}", "wrap": True,
                     "fontType": "Monospace"})
    body.append({"type": "TextBlock", "text": f"{event.project or 'sfenv'} · {event.kind} · "
                                              f"{event.at}", "isSubtle": True, "size": "Small",
                 "wrap": True})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card}]}


def webhook(event: Event) -> dict[str, Any]:
    return {"source": "sfenv", "schema": WEBHOOK_SCHEMA, **event.to_dict()}


def email(event: Event, sender: str, to: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = _cut(_heading(event).replace("\n", " "), 200)
    message["From"] = sender
    message["To"] = ", ".join(to)
    parts = [event.summary] if event.summary else []
    parts += [f"{n}: {v}" for n, v in event.facts]
    parts += [f"- {line}" for line in _lines(event)]
    if event.command:
        parts.append(f"Next: {event.command}")
    parts.append(f"-- {event.project or 'sfenv'} · {event.kind} · {event.at}")
    message.set_content("\n".join(parts) + "\n")
    return message
