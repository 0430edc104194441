"""The `monitor:` block of sfenv.yml: what `sfenv monitor` holds each org to.

    monitor:
      backup_max_age_hours: 26       # a backup older than this is stale
      limits:                        # share of a /limits entry used that needs attention
        DailyApiRequests: 0.8
        DataStorageMB: 0.9
        FileStorageMB: 0.9
      release_users: [Acme Integration]   # who deploys for the release process (names);
                                          # default: the environment's own login user
      deployments_hours: 24          # failed or pending deployments looked for this far back
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sfenv.config.reader import YamlReader

if TYPE_CHECKING:
    import yaml


DEFAULT_LIMITS = {"DailyApiRequests": 0.8, "DataStorageMB": 0.9, "FileStorageMB": 0.9}


@dataclass
class MonitorSettings:
    backup_max_age_hours: float = 26.0
    limits: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    release_users: list[str] = field(default_factory=list)
    deployments_hours: float = 24.0


def parse_monitor(r: YamlReader, node: yaml.Node) -> MonitorSettings:
    """The settings of the `monitor:` mapping; ConfigError with file:line for any mistake."""
    settings = MonitorSettings()
    for key, (k_node, v_node) in r.mapping(node, "monitor").items():
        if key in ("backup_max_age_hours", "deployments_hours"):
            value = r.value(v_node)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or not 0 < value <= 24 * 366:
                raise r.fail(v_node, f"monitor.{key} must be a number of hours above 0")
            setattr(settings, key, float(value))
        elif key == "limits":
            limits: dict[str, float] = {}
            for name, (_n, value_node) in r.mapping(v_node, "monitor.limits").items():
                share = r.value(value_node)
                if isinstance(share, bool) or not isinstance(share, (int, float)) \
                        or not 0 <= share <= 1:
                    raise r.fail(value_node, f"monitor.limits.{name} must be a share of the "
                                             f"limit from 0 to 1 (0.8 = 80% used)")
                limits[name] = float(share)
            settings.limits = limits
        elif key == "release_users":
            settings.release_users = r.string_list(v_node, "monitor.release_users")
        else:
            raise r.fail(k_node, f"monitor: unknown key '{key}' (known: backup_max_age_hours, "
                                 f"limits, release_users, deployments_hours)")
    return settings
