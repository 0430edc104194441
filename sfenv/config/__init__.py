"""sfenv.yml: environments, promotion path, policy."""

from sfenv.config.loader import find_config, load_config
from sfenv.config.model import Config, EnvConfig, PullSettings

__all__ = ["Config", "EnvConfig", "PullSettings", "find_config", "load_config"]
