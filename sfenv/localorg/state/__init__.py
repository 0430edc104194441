"""One local org's state; `OrgState` (state/org.py) is the entry: the facade that owns the
persisted data and the lock, built from users and sessions (users.py), component dates and
SourceMember rows (components.py, source_members.py) and the audit trail (audit.py). Ids and
Salesforce dates live in ids.py and dates.py."""

from sfenv.localorg.state.dates import normalize_datetime, parse_sf_datetime, sf_datetime, sf_now
from sfenv.localorg.state.ids import id18, is_valid_id, new_id
from sfenv.localorg.state.org import SEED_FILE, STATE_DIR, STATE_FILE, OrgState
from sfenv.localorg.state.users import ADMIN_PROFILE, CLI_CLIENT_ID, SESSION_SECONDS, User

__all__ = [
    "ADMIN_PROFILE", "CLI_CLIENT_ID", "SEED_FILE", "SESSION_SECONDS", "STATE_DIR", "STATE_FILE",
    "OrgState", "User", "id18", "is_valid_id", "new_id", "normalize_datetime",
    "parse_sf_datetime", "sf_datetime", "sf_now",
]
