"""The demo's week on four environments (dev → qa → uat → prod) as one full-output snapshot
(issue 26): every command's whole output, and its exit code, is compared with
tests/e2e/golden/demo_week.txt, so any change of wording shows in review as a diff of that file.

Only what varies from run to run is replaced by a stable token before the comparison (times,
shas, record ids, ports, durations, temporary paths); everything else must match word for word.
When a change of output is intended, regenerate the file and review its diff:

    SFENV_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q -p no:randomly tests/e2e/test_demo_week_snapshot.py
"""

from __future__ import annotations

import difflib
import os
import random
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfenv.localorg.seeds import ENV_VALUES
from tests.projects import Project, local_project

GOLDEN = Path(__file__).parent / "golden" / "demo_week.txt"
REGENERATE = ("SFENV_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q -p no:randomly "
              "tests/e2e/test_demo_week_snapshot.py")
# `spare` is uat after its refresh: a sandbox as qa was before the week's first train
SEEDS = {"dev": "acme-dev", "qa": "acme-qa", "uat": "acme-qa", "prod": "acme-prod",
         "spare": "acme-qa"}
PATH = ["dev", "qa", "uat", "prod"]
HOTFIX_CLASS = "InvoiceService"

def _if_recent(match: re.Match[str], token: str) -> str:
    """A date of this run (today or a day either side, UTC) varies; the seeds' dates do not."""
    day = match.group(1).replace("-", "")
    today = datetime.now(UTC).date()
    recent = {(today + timedelta(days=d)).strftime("%Y%m%d") for d in (-1, 0, 1)}
    return token if day in recent else match.group(0)


# Order matters: longer, more specific shapes first, so a timestamp is not read as two numbers.
_VARYING: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(?:/private)?/tmp/[^\s'\"`)]*"), "<TMP>"),
    (re.compile(r"https://127\.0\.0\.1:\d+"), "https://127.0.0.1:<PORT>"),
    (re.compile(r"\b(?:localhost|127\.0\.0\.1):\d+"), "127.0.0.1:<PORT>"),
    # 2026-12-06T17:02:11.000Z, 2026-12-06 17:02:11 UTC, 2026-12-06 17:02 (of this run only)
    (re.compile(r"\b(\d{4}-\d\d-\d\d)[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d| UTC)?"),
     lambda m: _if_recent(m, "<TIME>")),
    (re.compile(r"\b(\d{8})T\d{4,6}Z?\b"), lambda m: _if_recent(m, "<STAMP>")),  # tag stamps
    (re.compile(r"\b(\d{4}-\d\d-\d\d)\b"), lambda m: _if_recent(m, "<DATE>")),
    (re.compile(r"\b[0-9a-f]{40}\b"), "<SHA>"),
    (re.compile(r"\b[0-9a-f]{7,12}\b(?=[^\w]|$)"), "<SHA>"),
    (re.compile(r"\b0[0-9A-Za-z]{2}[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?\b"), "<ID>"),
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds?)\b"), "<DURATION>"),
]


def normalise(text: str, temp_root: str = "") -> str:
    """Replace what varies run to run; keep every word a user reads. `temp_root`: the test
    session's temporary folder wherever it is (pytest's `--basetemp` may be outside /tmp)."""
    if temp_root:
        text = re.sub(re.escape(temp_root) + r"[^\s'\"`)]*", "<TMP>", text)
    for pattern, token in _VARYING:
        text = pattern.sub(token, text)
    return "\n".join(line.rstrip() for line in text.splitlines())


def _hotfix_in_prod(p: Project) -> None:
    """Priya Patel edits an Apex class in production by hand, as a hotfix."""
    org = p.orgs["prod"].server.org
    path = org.metadata_dir / "classes" / f"{HOTFIX_CLASS}.cls"
    with org.lock:
        path.write_text(path.read_text().rstrip() + "\n// hotfix: round totals half-up\n")
        priya = org.user_by_name("Priya Patel")
        assert priya is not None
        org.touch_components([f"ApexClass:{HOTFIX_CLASS}"], priya)
        org.save()


def _undeclare(p: Project, env: str) -> None:
    """Drop `env`'s block from sfenv.yml: its org runs, but the week starts without it."""
    lines = p.config_path.read_text().splitlines(keepends=True)
    start = lines.index(f"  {env}:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    p.config_path.write_text("".join(lines[:start] + lines[end:]))


def _refresh_uat(p: Project) -> None:
    """uat is refreshed: its sfenv.yml block now points at the `spare` sandbox."""
    uat, spare = p.orgs["uat"], p.orgs["spare"]
    text = p.config_path.read_text()
    for old, new in ((uat.instance_url, spare.instance_url), (uat.username, spare.username),
                     ("SFENV_TEST_UAT_PW", "SFENV_TEST_SPARE_PW")):
        text = text.replace(old, new)
    if uat.ca_file and spare.ca_file:
        text = text.replace(str(uat.ca_file), str(spare.ca_file))
    p.config_path.write_text(text)


def run_week(p: Project, temp_root: str = "") -> str:
    """Every command of the week, in order, with its exit code and whole output."""
    parts: list[str] = []

    def run(*args: str) -> None:
        result = p.cli(*args)
        parts.append(f"$ sfenv {' '.join(args)}\n[exit {result.exit_code}]\n{result.output}")

    # Monday: every environment pulled, the path's state, the first train into qa
    for env in PATH:
        run("pull", env)
    run("status")
    run("release", "plan", "R1", "--from", "dev", "--to", "qa")
    run("release", "build", "R1", "--from", "dev", "--to", "qa")
    run("release", "promote", "R1", "--to", "qa", "--yes")
    run("checklist", "R1", "--env", "qa")
    run("release", "status")
    # Tuesday: a hotfix in production; R1 goes on to uat, is rolled back and promoted again
    _hotfix_in_prod(p)
    run("pull", "prod")
    run("status")
    run("release", "promote", "R1", "--to", "uat", "--yes")
    run("release", "rollback", "R1", "--env", "uat", "--yes")
    run("release", "promote", "R1", "--to", "uat", "--yes")
    run("checklist", "R1", "--env", "uat")
    run("release", "status")
    # Wednesday: uat is refreshed; the next trains are planned; nightly backups of prod
    _refresh_uat(p)
    run("pull", "uat", "--new-org")
    run("status")
    run("release", "plan", "R2", "--from", "qa", "--to", "uat")
    run("release", "plan", "R3", "--from", "uat", "--to", "prod")
    run("backup", "prod")
    run("backup", "prod")
    run("release", "list")
    run("changelog", "qa")
    run("log", "prod")
    run("report", "--out", "report.html")
    return normalise("\n".join(parts), temp_root) + "\n"


@pytest.fixture(scope="module")
def week_output(tmp_path_factory) -> str:
    with pytest.MonkeyPatch.context() as mp:
        for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            mp.delenv(var, raising=False)
        # the release manager, not this machine's git user: promote and rollback read git's
        # user.name, the other records $SFENV_USER
        mp.setenv("SFENV_USER", "Ana Lima")
        for key, value in {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "user.name",
                           "GIT_CONFIG_VALUE_0": "Ana Lima", "GIT_CONFIG_KEY_1": "user.email",
                           "GIT_CONFIG_VALUE_1": "ana.lima@acme.example"}.items():
            mp.setenv(key, value)
        # the local orgs draw record ids at random, and the checklist orders steps of one kind
        # by id (audit.<id>): seeded ids keep that order, not only the ids' text, from run to run
        mp.setattr("sfenv.localorg.state.ids.secrets", random.Random(26))
        values = {env: ENV_VALUES[seed] for env, seed in SEEDS.items()}
        with local_project(tmp_path_factory.mktemp("snapshot-week"), SEEDS, mp, values=values,
                           path=PATH, seed_types=False) as p:
            _undeclare(p, "spare")
            yield run_week(p, str(tmp_path_factory.getbasetemp()))


def test_the_weeks_full_output_matches_the_golden_file(week_output):
    if os.environ.get("SFENV_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(week_output)
        return
    assert GOLDEN.exists(), f"{GOLDEN} is missing: create it with\n    {REGENERATE}"
    expected = GOLDEN.read_text()
    if week_output != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), week_output.splitlines(keepends=True),
            fromfile=f"{GOLDEN.name} (golden)", tofile="this run"))
        pytest.fail(f"the week's CLI output differs from {GOLDEN}:\n{diff}\n"
                    f"If the change is intended, regenerate the file and review its diff:\n"
                    f"    {REGENERATE}", pytrace=False)


TODAY = datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize(("raw", "expected"), [
    (f"backup backup/prod/{TODAY.replace('-', '')}T170211Z -> 3f2a9c1 (83 components)",
     "backup backup/prod/<STAMP> -> <SHA> (83 components)"),
    (f"deployed at {TODAY}T17:02:11.000Z in 4.2 s", "deployed at <TIME> in <DURATION>"),
    ("login https://127.0.0.1:53211 from /tmp/pytest-of-root/x/project",
     "login https://127.0.0.1:<PORT> from <TMP>"),
    ("audit.0Ym5g0000830SjUCAU", "audit.<ID>"),
    # what a user reads is kept: counts, names and the seed's own dates
    ("7 package members, of which 1 deletion", "7 package members, of which 1 deletion"),
    ("(Marcus Chen, 2026-09-26T10:00:00.000Z)", "(Marcus Chen, 2026-09-26T10:00:00.000Z)"),
])
def test_the_normaliser_replaces_only_what_varies(raw, expected):
    assert normalise(raw) == expected
