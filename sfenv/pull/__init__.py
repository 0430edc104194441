"""Pull: an org's metadata into a git snapshot (full, incremental, or as a tagged backup)."""

from sfenv.pull.identity import refresh_events
from sfenv.pull.service import BackupResult, PullResult, backup_env, pull_env

__all__ = ["BackupResult", "PullResult", "backup_env", "pull_env", "refresh_events"]
