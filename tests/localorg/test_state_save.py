"""state.json is written from the org's data without deep-copying it first (an org of 12,000
components spent seconds a save in `dataclasses.asdict`): the file stays byte for byte what
`asdict` gave, and loads back to the same data."""

from __future__ import annotations

import json
from dataclasses import asdict

from sfenv.localorg.state import STATE_DIR
from sfenv.localorg.state.data import load_data
from sfenv.localorg.state.org import OrgState
from sfenv.localorg.testing import running_org


def test_state_json_is_what_asdict_gave_and_loads_back(tmp_path):
    with running_org(tmp_path / "org", seed="acme-dev") as handle:
        org = handle.server.org
        with org.lock:
            org.add_user("late@acme.example", "Late Joiner", "late@acme.example",
                         "Standard User")
            org.save()
        path = tmp_path / "org" / STATE_DIR / "state.json"
        written = path.read_text("utf-8")
        assert written == json.dumps(asdict(org._data), indent=1, sort_keys=True) + "\n"
        assert asdict(load_data(path)) == asdict(org._data)
        again = OrgState.open(tmp_path / "org")
        assert again.find_user("late@acme.example") is not None
