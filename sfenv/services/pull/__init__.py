"""Pull: an org's metadata into a git snapshot (full, incremental, or as a tagged backup)."""

from sfenv.services.pull.service import BackupResult, PullResult, backup_env, pull_env
from sfenv.services.records.org_identity import refresh_events

__all__ = ["BackupResult", "PullResult", "backup_env", "pull_env", "refresh_events"]
