"""The `notify:` block of sfenv.yml: where sfenv tells the team what needs them.

    notify:
      - name: team-slack
        kind: slack                  # slack | teams | webhook | email
        url_env: SLACK_WEBHOOK_URL   # the webhook's URL is a secret: an environment variable
        environments: [prod]         # default: every environment
        events: [exceptions]         # default: the exceptions (see EVENT_KINDS); or a list
      - name: release-mail
        kind: email
        smtp_host: smtp.example.com
        smtp_port: 587
        starttls: true
        username_env: SMTP_USER
        password_env: SMTP_PASSWORD
        sender: sfenv@example.com
        to: [release-team@example.com]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfenv.config.reader import YamlReader

if TYPE_CHECKING:
    import yaml


# Every event sfenv sends, and whether it is an exception (sent by default) or news (sent only
# to a channel that lists it).
EVENT_KINDS: dict[str, bool] = {
    "promotion_refused": True,
    "promotion_failed": True,
    "verification_failed": True,
    "rollback": True,
    "production_deployed": False,
    "drift_in_production": True,
    "backup_failed": True,
    "backup_stale": True,
    "limits_near": True,
    "adoption_unused": True,
    "test": False,
}
CHANNEL_KINDS = ("slack", "teams", "webhook", "email")
_KEYS = {
    "slack": {"name", "kind", "url_env", "environments", "events"},
    "teams": {"name", "kind", "url_env", "environments", "events"},
    "webhook": {"name", "kind", "url_env", "environments", "events"},
    "email": {"name", "kind", "environments", "events", "smtp_host", "smtp_port", "starttls",
              "username_env", "password_env", "sender", "to"},
}
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class NotifyChannel:
    """One place notifications go. Secrets are named by their environment variables only."""

    name: str
    kind: str
    events: frozenset[str]
    environments: frozenset[str] = frozenset()  # empty: every environment
    url_env: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    starttls: bool = True
    username_env: str = ""
    password_env: str = ""
    sender: str = ""
    to: tuple[str, ...] = field(default_factory=tuple)

    def wants(self, event: str, env: str | None) -> bool:
        """Whether this channel takes `event` about `env` (None: not about one environment)."""
        if event not in self.events:
            return False
        return not self.environments or env is None or env in self.environments


def exceptions() -> frozenset[str]:
    return frozenset(kind for kind, exceptional in EVENT_KINDS.items() if exceptional)


def parse_notify(r: YamlReader, node: yaml.Node, env_names: set[str]) -> list[NotifyChannel]:
    """The channels of the `notify:` list; ConfigError with file:line for any mistake."""
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise r.fail(node, "notify must be a list of channels (each with name and kind)")
    channels: list[NotifyChannel] = []
    for item in node.value:
        keys = r.mapping(item, "notify channel")
        if "kind" not in keys or "name" not in keys:
            raise r.fail(item, "notify channel: needs a name and a kind "
                               f"({' | '.join(CHANNEL_KINDS)})")
        name = r.string(keys["name"][1], "notify channel name")
        if not _NAME.match(name) or name in {c.name for c in channels}:
            raise r.fail(keys["name"][1], f"notify channel name {name!r} must be a unique "
                                          f"short name (letters, digits, _ . -)")
        kind = r.string(keys["kind"][1], f"notify channel {name}: kind")
        if kind not in CHANNEL_KINDS:
            raise r.fail(keys["kind"][1], f"notify channel {name}: kind must be one of "
                                          f"{', '.join(CHANNEL_KINDS)}, not {kind!r}")
        for key, (k_node, _v) in keys.items():
            if key not in _KEYS[kind]:
                raise r.fail(k_node, f"notify channel {name}: unknown key '{key}' for a "
                                     f"{kind} channel (known: {', '.join(sorted(_KEYS[kind]))})")
        events = exceptions()
        if "events" in keys:
            listed = r.string_list(keys["events"][1], f"notify channel {name}: events")
            unknown = [e for e in listed if e != "exceptions" and e not in EVENT_KINDS]
            if unknown:
                raise r.fail(keys["events"][1], f"notify channel {name}: unknown event "
                                                f"{unknown[0]!r} (known: exceptions, "
                                                f"{', '.join(EVENT_KINDS)})")
            events = frozenset(e for e in listed if e != "exceptions") | (
                exceptions() if "exceptions" in listed else frozenset())
        envs: frozenset[str] = frozenset()
        if "environments" in keys:
            envs = frozenset(r.string_list(keys["environments"][1],
                                           f"notify channel {name}: environments"))
            missing = sorted(envs - env_names)
            if missing:
                raise r.fail(keys["environments"][1], f"notify channel {name}: unknown "
                                                      f"environment '{missing[0]}'")

        if kind != "email":
            url_env = _env_var(r, item, keys, name, "url_env", True)
            channels.append(NotifyChannel(name, kind, events, envs, url_env=url_env))
            continue
        for required in ("smtp_host", "sender", "to"):
            if required not in keys:
                raise r.fail(item, f"notify channel {name}: {required} is required for email")
        port = r.value(keys["smtp_port"][1]) if "smtp_port" in keys else 587
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise r.fail(keys["smtp_port"][1], f"notify channel {name}: smtp_port must be a "
                                               f"port number")
        to = tuple(r.string_list(keys["to"][1], f"notify channel {name}: to"))
        if not to or any("@" not in a or "\n" in a for a in to):
            raise r.fail(keys["to"][1], f"notify channel {name}: to must list email addresses")
        sender = r.string(keys["sender"][1], f"notify channel {name}: sender")
        if "@" not in sender or "\n" in sender:
            raise r.fail(keys["sender"][1], f"notify channel {name}: sender must be an email "
                                            f"address")
        channels.append(NotifyChannel(
            name, kind, events, envs, smtp_host=r.string(keys["smtp_host"][1], "smtp_host"),
            smtp_port=port, starttls=r.boolean(keys["starttls"][1], "starttls")
            if "starttls" in keys else True,
            username_env=_env_var(r, item, keys, name, "username_env", False),
            password_env=_env_var(r, item, keys, name, "password_env", False),
            sender=sender, to=to))
    return channels


def _env_var(r: YamlReader, item: yaml.Node, keys: dict[str, tuple[yaml.Node, yaml.Node]],
             name: str, key: str, required: bool) -> str:
    """The environment variable a channel names for one of its secrets ('' when optional and
    absent)."""
    if key not in keys:
        if required:
            raise r.fail(item, f"notify channel {name}: {key} is required (the environment "
                               f"variable that holds the secret)")
        return ""
    value = r.string(keys[key][1], f"notify channel {name}: {key}")
    if not _ENV_VAR.match(value):
        raise r.fail(keys[key][1], f"notify channel {name}: {key} must name an environment "
                                   f"variable, not {value!r}")
    return value
