"""The `adoption:` block of sfenv.yml: when `sfenv adoption` calls a component used.

    adoption:
      days: 14      # a verdict counts (and --fail-on-unused fails) this many days after T0
      used: 0.3     # a share (fill rate, reach, active share) at or above this is "used"
      low: 0.05     # at or above this (and below `used`) is "low"; below it is "unused"
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sfenv.config.reader import YamlReader

if TYPE_CHECKING:
    import yaml



@dataclass
class AdoptionSettings:
    days: int = 14
    used: float = 0.3
    low: float = 0.05


def parse_adoption(r: YamlReader, node: yaml.Node) -> AdoptionSettings:
    """The settings of the `adoption:` mapping; ConfigError with file:line for any mistake."""
    settings = AdoptionSettings()
    for key, (k_node, v_node) in r.mapping(node, "adoption").items():
        value = r.value(v_node)
        if key == "days":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
                raise r.fail(v_node, "adoption.days must be a whole number of days from 1 "
                                     "to 3660")
            settings.days = value
        elif key in ("used", "low"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or not 0 <= value <= 1:
                raise r.fail(v_node, f"adoption.{key} must be a share from 0 to 1 "
                                     f"(0.3 = 30%)")
            setattr(settings, key, float(value))
        else:
            raise r.fail(k_node, f"adoption: unknown key '{key}' (known: days, used, low)")
    if settings.low > settings.used:
        raise r.fail(node, f"adoption.low ({settings.low}) must not be above adoption.used "
                           f"({settings.used})")
    return settings
