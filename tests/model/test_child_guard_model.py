"""Model-based test of the guard at the child level (issue 22) on four local orgs over HTTPS,
path dev → qa → uat → prod.

Random sequences of hand changes to children (fields, a validation rule, a list view, a record
type, a custom label, permission entries of a permission set that travels whole) in every
environment, train builds from dev, promotions along the path (no --overwrite, every conflict
named one by one, or --overwrite-all; a fresh train from qa to prod in one step), re-promotions,
rollbacks of the latest promotion of an environment and refreshes of uat from prod. An oracle tracks every child's value per
environment and which values are the environment's own (made there by hand). After every
promotion:

- nothing the target made by hand is lost unless an --overwrite named it: a promotion that
  would change such a child without a name is refused and changes nothing;
- the record lists exactly what was overwritten (`overwrites` of the log entry), and a
  refusal names only children the target made by hand;
and after every step every org holds what the oracle says.

Budget: SFENV_MODEL_EXAMPLES (default 2) examples of 12 steps, well under a minute each;
`SFENV_MODEL_PROFILE=soak` runs 200 examples (SFENV_MODEL_EXAMPLES sets a chunk's size). Outside
the soak the examples are fixed (hypothesis `derandomize=True`, no example database): the same code gives the same result on
every CI run, so CI cannot go red by chance; the soak explores at random (`--hypothesis-seed`
repeats a soak run). `pytest --hypothesis-show-statistics` prints
the share of steps per kind, of child kinds changed and of environments.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.xmlio import child_text, local_name, parse_xml, write_xml
from tests.model.start import Scripted, ServedMachine, fixed_examples
from tests.projects import wildcard_manifest

ENVS = ("dev", "qa", "uat", "prod")
NS = "http://soap.sforce.com/2006/04/metadata"
OBJECT, PERMSET, LABELS = ("objects/Model__c.object", "permissionsets/Model_Access.permissionset",
                           "labels/CustomLabels.labels")
# child -> (file, list element, key element, key, value element)
SLOTS: dict[str, tuple[str, str, str, str, str]] = {
    "CustomField:Model__c.F0__c": (OBJECT, "fields", "fullName", "F0__c", "label"),
    "CustomField:Model__c.F1__c": (OBJECT, "fields", "fullName", "F1__c", "label"),
    "ValidationRule:Model__c.V0": (OBJECT, "validationRules", "fullName", "V0", "errorMessage"),
    "ListView:Model__c.L0": (OBJECT, "listViews", "fullName", "L0", "label"),
    "RecordType:Model__c.T0": (OBJECT, "recordTypes", "fullName", "T0", "label"),
    "CustomLabel:Lab0": (LABELS, "labels", "fullName", "Lab0", "value"),
    "PermissionSetFieldPermission:Model_Access/Model__c.F0__c":
        (PERMSET, "fieldPermissions", "field", "Model__c.F0__c", "editable"),
    "PermissionSetFieldPermission:Model_Access/Model__c.F1__c":
        (PERMSET, "fieldPermissions", "field", "Model__c.F1__c", "editable"),
}
OWNER = {OBJECT: "CustomObject:Model__c", PERMSET: "PermissionSet:Model_Access",
         LABELS: "CustomLabels:CustomLabels"}
KIND = {s: s.split(":", 1)[0] for s in SLOTS}
Vals = dict[str, str]
STEPS: Counter[str] = Counter()  # over the whole run: printed when the module finishes


def count(kind: str, detail: str = "") -> None:
    """One step of `kind` (hypothesis events count test cases; this counts steps)."""
    STEPS[kind] += 1
    if detail:
        STEPS[detail] += 1
    if currently_in_test_context():
        event(f"step: {kind}")
        if detail:
            event(detail)


def start_files() -> dict[str, str]:
    fields = "".join(f"""    <fields>
        <fullName>{f}__c</fullName>
        <label>start</label>
        <length>80</length>
        <type>Text</type>
    </fields>
""" for f in ("F0", "F1"))
    perms = "".join(f"""    <fieldPermissions>
        <editable>true</editable>
        <field>Model__c.{f}__c</field>
        <readable>true</readable>
    </fieldPermissions>
""" for f in ("F0", "F1"))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return {
        OBJECT: f"""{head}<CustomObject xmlns="{NS}">
    <deploymentStatus>Deployed</deploymentStatus>
{fields}    <label>Model</label>
    <listViews>
        <fullName>L0</fullName>
        <filterScope>Everything</filterScope>
        <label>start</label>
    </listViews>
    <nameField>
        <label>Model Name</label>
        <type>Text</type>
    </nameField>
    <pluralLabel>Models</pluralLabel>
    <recordTypes>
        <fullName>T0</fullName>
        <active>true</active>
        <label>start</label>
    </recordTypes>
    <sharingModel>ReadWrite</sharingModel>
    <validationRules>
        <fullName>V0</fullName>
        <active>true</active>
        <errorConditionFormula>false</errorConditionFormula>
        <errorMessage>start</errorMessage>
    </validationRules>
</CustomObject>
""",
        PERMSET: f"""{head}<PermissionSet xmlns="{NS}">
{perms}    <label>Model Access</label>
</PermissionSet>
""",
        LABELS: f"""{head}<CustomLabels xmlns="{NS}">
    <labels>
        <fullName>Lab0</fullName>
        <language>en_US</language>
        <protected>false</protected>
        <shortDescription>Lab0</shortDescription>
        <value>start</value>
    </labels>
</CustomLabels>
""",
    }


def start_vals() -> Vals:
    return {s: ("true" if spec[4] == "editable" else "start") for s, spec in SLOTS.items()}


# The project's manifest names the model's types: a pull lists these (and their children),
# not the ~500 types of the default manifest whose listings are empty in these orgs and cost
# most of an example's time (about 180 listMetadata calls a pull).
PACKAGE = wildcard_manifest(("CustomLabels", "CustomObject", "PermissionSet"))


def seed_org(folder: Path, *, sandbox: bool) -> None:
    for rel, text in start_files().items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / ".localorg").mkdir()
    users = [{"username": f"{n.split()[0].lower()}@model.example", "name": n,
              "profile": "System Administrator"} for n in ("Org Admin", "Hand User")]
    (folder / ".localorg" / "seed.json").write_text(json.dumps(
        {"org_name": "Model Org", "is_sandbox": sandbox, "users": users, "components": {},
         "audit_trail": []}))


def slot_element(root, slot: str):
    _, element, key_el, key, value_el = SLOTS[slot]
    for el in root:
        if isinstance(el.tag, str) and local_name(el) == element and \
                child_text(el, key_el) == key:
            return next(c for c in el if isinstance(c.tag, str) and local_name(c) == value_el)
    raise AssertionError(f"{slot}: not in the file")


def read_vals(files: dict[str, bytes]) -> Vals:
    roots = {rel: parse_xml(data, rel) for rel, data in files.items()}
    return {s: (slot_element(roots[SLOTS[s][0]], s).text or "") for s in SLOTS}


class ChildGuardMachine(ServedMachine):
    ENVS, KEY, PACKAGE, PASSWORD_VAR = ENVS, "child-guard", PACKAGE, "SFENV_CHILDMODEL_{}_PW"
    STATE = ("vals", "own", "counter", "trains", "refreshed")  # what start.py keeps
    vals: dict[str, Vals]
    own: dict[str, set[str]]
    counter: int
    trains: dict[str, dict]
    refreshed: bool

    @classmethod
    def _build_start(cls, folder: Path) -> dict:
        """Four seeded orgs pulled, a hand change in dev and R1 built (once per process)."""
        machine = cls._blank(folder)
        for env in ENVS:
            seed_org(folder / "orgs" / env, sandbox=env != "prod")
        machine.vals = {env: start_vals() for env in ENVS}
        machine.own = {env: set() for env in ENVS}  # made there by hand
        machine.counter = 0
        machine.trains = {}
        machine.refreshed = False  # one refresh an example: a rare event, not half the steps
        counted = Counter(STEPS)  # the statistics count the examples' steps only
        with machine.stack:
            machine._serve()
            for env in ENVS:
                machine.ok("pull", env)
            machine.hand_change("dev", "CustomField:Model__c.F0__c")  # for the first build
            machine.build()
        STEPS.clear()
        STEPS.update(counted)
        return {key: getattr(machine, key) for key in cls.STATE}

    def log(self, train: str) -> list[dict]:
        head = self.store.ref_commit("refs/heads/sfenv/releases")
        return json.loads(self.store.read_file(head, f"releases/{train}/log.json"))

    # -- hand changes -------------------------------------------------------------------------
    @rule(env=st.sampled_from(ENVS), slot=st.sampled_from(sorted(SLOTS)))
    def hand_change(self, env, slot):
        org = self.orgs[env].server.org
        rel = SLOTS[slot][0]
        self.counter += 1
        old = self.vals[env][slot]
        value = ({"true": "false"}.get(old, "true") if SLOTS[slot][4] == "editable"
                 else f"{env}{self.counter}")
        with org.lock:
            path = org.metadata_dir / rel
            root = parse_xml(path.read_bytes(), rel)
            slot_element(root, slot).text = value
            path.write_bytes(write_xml(root))
            org.touch_components([ComponentId.parse(OWNER[rel])], org.user_by_name("Hand User"))
            org.save()
        self.vals[env][slot] = value
        self.own[env].add(slot)
        self.ok("pull", env)
        count(f"hand change in {env}", f"child kind: {KIND[slot]}")

    # -- trains -------------------------------------------------------------------------------
    @precondition(lambda self: len(self.trains) < 3)
    @rule()
    def build(self):
        name = f"R{len(self.trains) + 1}"
        dev, qa = self.vals["dev"], self.vals["qa"]
        carries = {s: dev[s] for s in SLOTS if dev[s] != qa[s]}
        if any(s.startswith("PermissionSet") for s in carries):  # the set travels whole
            carries.update({s: dev[s] for s in SLOTS if s.startswith("PermissionSet")})
        result = self.cli("release", "build", name)
        if not carries:
            assert result.exit_code == 2 and "nothing to release" in result.output
            count("build (nothing to release)")
            return
        assert result.exit_code == 0, result.output
        count("build")
        self.trains[name] = {"carries": carries, "state": {}, "backup": {}, "after": {},
                             "seq": {}}

    def reachable(self, name: str) -> list[str]:
        """Where the train may go: qa, or the stage after one where it is deployed."""
        state = self.trains[name]["state"]
        return [env for i, env in enumerate(ENVS[1:], 1)
                if i == 1 or state.get(ENVS[i - 1]) == "deployed"]

    @precondition(lambda self: self.trains)
    @rule(data=st.data(), mode=st.sampled_from(("none", "named", "all")))
    def promote(self, data, mode):
        name = data.draw(st.sampled_from(sorted(self.trains)))
        self._promote(name, data.draw(st.sampled_from(self.reachable(name))), mode)

    @precondition(lambda self: self.trains)
    @rule(data=st.data(), mode=st.sampled_from(("none", "named", "all")))
    def hotfix_then_promote(self, data, mode):
        """A hand change in the target on a child the train carries, then the promotion: the
        case the guard exists for."""
        name = data.draw(st.sampled_from(sorted(self.trains)))
        env = data.draw(st.sampled_from(self.reachable(name)))
        slot = data.draw(st.sampled_from(sorted(self.trains[name]["carries"])))
        self.hand_change(env, slot)
        self._promote(name, env, mode)

    @precondition(lambda self: len(self.trains) < 3)
    @rule(slot=st.sampled_from(sorted(SLOTS)), mode=st.sampled_from(("none", "named", "all")))
    def fresh_train_through_the_path(self, slot, mode):
        """A hand change in dev, a new train built from it and promoted to qa, uat, then prod,
        as far as the guard lets it: one step, so that prod is reached and rolled back (a
        train takes three promotions to get there; random steps seldom made them)."""
        self.hand_change("dev", slot)
        before = set(self.trains)
        self.build()
        for name in set(self.trains) - before:
            count("fresh train through the path")
            for env in ENVS[1:]:
                self._promote(name, env, mode)
                if self.trains[name]["state"].get(env) != "deployed":
                    break

    def _promote(self, name: str, env: str, mode: str) -> None:
        train = self.trains[name]
        now = self.vals[env]
        affected = {s for s, v in train["carries"].items() if now[s] != v}
        lost = sorted(affected & self.own[env])
        args = ["release", "promote", name, "--to", env, "--yes"]
        if mode == "all":
            args.append("--overwrite-all")
        elif mode == "named":
            for slot in lost:
                args += ["--overwrite", slot]
        result = self.cli(*args)
        entry = self.log(name)[-1]
        if result.exit_code == 1:
            assert entry["result"] == "refused", result.output
            named = {c["component"] for c in entry["conflicts"]}
            assert named, result.output
            assert named <= self.own[env], (env, named, self.own[env], result.output)
            assert mode != "all", result.output
            count(f"promote to {env} refused", f"overwrite mode: {mode}")
            return
        assert result.exit_code == 0, result.output
        if lost and mode == "none":
            raise AssertionError(f"{name} → {env} overwrote {lost} made there by hand, "
                                 f"unnamed: {result.output}")
        overwritten = sorted(c["component"] for c in entry["overwrites"])
        assert overwritten == lost, (overwritten, lost, result.output)
        count(f"promote to {env}" + (" over named hand changes" if lost else ""),
              f"overwrite mode: {mode}")
        train["backup"][env] = (dict(now), set(self.own[env]))
        now.update(train["carries"])
        self.own[env] -= set(train["carries"])
        train["state"][env] = "deployed"
        train["after"][env] = dict(now)
        self.counter += 1
        train["seq"][env] = self.counter

    def latest(self) -> dict[str, str]:
        """Environment -> the train deployed there last, when the environment has not changed
        by hand since (a rollback of hand changes made after a promotion is another rule's)."""
        out: dict[str, tuple[int, str]] = {}
        for name, train in self.trains.items():
            for env, state in train["state"].items():
                if state == "deployed" and train["after"][env] == self.vals[env] and (
                        env not in out or train["seq"][env] > out[env][0]):
                    out[env] = (train["seq"][env], name)
        return {env: name for env, (_, name) in out.items()
                if all(t["seq"].get(env, -1) <= out[env][0] for t in self.trains.values())}

    @precondition(lambda self: self.latest())
    @rule(data=st.data())
    def rollback(self, data):
        latest = self.latest()
        env = data.draw(st.sampled_from(sorted(latest)))
        name = latest[env]
        self.ok("release", "rollback", name, "--env", env, "--yes")
        train = self.trains[name]
        vals, own = train["backup"][env]
        for slot in train["carries"]:
            self.vals[env][slot] = vals[slot]
            if slot in own:
                self.own[env].add(slot)
        train["state"][env] = "rolled_back"
        count(f"rollback of {env}")

    @precondition(lambda self: not self.refreshed)
    @rule()
    def refresh_uat(self):
        """uat becomes a copy of prod (a new org id), pulled with --new-org."""
        src, org = self.orgs["prod"].server.org, self.orgs["uat"].server.org
        with org.lock:
            for rel in OWNER:
                shutil.copyfile(src.metadata_dir / rel, org.metadata_dir / rel)
            org._data.org_id = org.new_id("00D")
            org.touch_components([ComponentId.parse(c) for c in OWNER.values()],
                                 org.user_by_name("Org Admin"))
            org.save()
        self.ok("pull", "uat", "--new-org")
        self.refreshed = True
        self.vals["uat"] = dict(self.vals["prod"])
        self.own["uat"] = set()
        for train in self.trains.values():  # what was deployed to uat is gone with it
            if train["state"].get("uat") == "deployed":
                train["state"]["uat"] = "refreshed"
        count("refresh of uat")

    # -- invariants ---------------------------------------------------------------------------
    @invariant()
    def orgs_hold_what_the_oracle_says(self):
        for env in ENVS:
            head = self.store.head(env)
            files = {rel: self.store.read_file(head, rel) for rel in OWNER}
            assert read_vals(files) == self.vals[env], env


SOAK = os.environ.get("SFENV_MODEL_PROFILE") == "soak"
ChildGuardMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SFENV_MODEL_EXAMPLES", "200" if SOAK else "2")),
    stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck),
    # outside the soak the examples are fixed (derived from the test's source, no database):
    # the same code gives the same CI result on every run; the soak explores at random
    **({} if SOAK else {"derandomize": True, "database": None}),
    phases=[Phase.explicit, Phase.reuse, Phase.generate])  # shrinking real orgs takes minutes
TestChildGuardModel = ChildGuardMachine.TestCase
# the seed hypothesis' derandomize derived from this machine's source at 92995d5 (before the
# scaffolding moved to start.py): the fixed examples keep the paths they took then
FIXED_SEED = int(
    "26252134699229133974612367465025141731721517695555516252044549319407004870785110"
    "761687695301648972088415844158719426")
if not SOAK:
    fixed_examples(ChildGuardMachine, FIXED_SEED)


def statistics() -> list[str]:
    """The generator's statistics: share of steps per kind (per env), of child kinds changed
    and of overwrite modes (printed by tests/model/conftest.py after the run)."""
    if not STEPS:
        return []
    detail = ("child kind", "overwrite mode")
    steps = sum(n for k, n in STEPS.items() if not k.startswith(detail))
    lines = [f"child guard model: {steps} steps"]
    for key, n in sorted(STEPS.items()):
        prefix = key.split(":")[0]
        base = (sum(m for k, m in STEPS.items() if k.split(":")[0] == prefix)
                if key.startswith(detail) else steps)
        lines.append(f"  {key}: {n} ({100 * n / max(base, 1):.0f}%)")
    return lines






def test_after_a_refresh_and_a_rollback_in_qa_the_train_still_goes_to_uat():
    """The sequence the soak found (seed 1201): R1 in qa, uat refreshed from prod, R1 rolled
    back in qa and promoted again, hand changes in qa, then R1 → uat: uat changed nothing by
    hand since its refresh, yet the promotion was refused naming the field R1 carries: the
    two-way rule took the refresh's own date (the copy's) as uat's change."""
    machine = ChildGuardMachine()
    try:
        machine.orgs_hold_what_the_oracle_says()
        steps = [
            lambda: machine.promote(Scripted("R1", "qa"), "none"),
            machine.refresh_uat,
            lambda: machine.rollback(Scripted("qa")),
            lambda: machine.promote(Scripted("R1", "qa"), "all"),
            lambda: machine.hand_change("qa", "ListView:Model__c.L0"),
            lambda: machine.hand_change(
                "qa", "PermissionSetFieldPermission:Model_Access/Model__c.F0__c"),
            machine.build,
            lambda: machine.hand_change("qa", "ListView:Model__c.L0"),
            lambda: machine.promote(Scripted("R1", "uat"), "named"),
        ]
        for step in steps:
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_a_train_re_promoted_to_a_refreshed_uat_overwrites_nothing_of_uat():
    """The soak's seed 1102: R1 in qa and uat (twice), uat refreshed from prod, R1 → uat again
    with --overwrite-all: uat made no change by hand, so the record must list no overwrite."""
    machine = ChildGuardMachine()
    try:
        for step in (lambda: machine.promote(Scripted("R1", "qa"), "none"),
                     lambda: machine.promote(Scripted("R1", "uat"), "all"),
                     lambda: machine.promote(Scripted("R1", "uat"), "named"),
                     machine.refresh_uat,
                     lambda: machine.promote(Scripted("R1", "uat"), "all")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()



def test_a_rollback_after_the_build_is_no_hand_change_of_the_target():
    """The soak's seed 6301: R2 (F0 and the permission set) goes to qa, uat and prod; R3 is
    built; R2 is rolled back in uat (F0 back to its earlier value); R3 → uat naming uat's one
    hand change (the permission entry) was refused for F0 too: the guard took the rollback,
    made after R3's build, for uat's own change since the plan ("changed after the build").
    A rollback is the release process (issue 22), not a hand change: the guard's reference
    moves past it as past a later promotion (`guard.since_promotion`)."""
    machine = ChildGuardMachine()
    f0, f1 = "CustomField:Model__c.F0__c", "PermissionSetFieldPermission:Model_Access/Model__c.F1__c"
    try:
        for step in (lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "none"),
                     lambda: machine.fresh_train_through_the_path(f1, "all"),
                     lambda: machine.hotfix_then_promote(Scripted("R2", "prod", f1), "none"),
                     lambda: machine.rollback(Scripted("qa")),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "none"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "none"),
                     machine.build,
                     lambda: machine.rollback(Scripted("uat")),
                     lambda: machine.hotfix_then_promote(Scripted("R3", "qa", f1), "named"),
                     lambda: machine.hotfix_then_promote(Scripted("R3", "uat", f1), "named")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_a_rollback_of_prod_before_the_build_is_no_hand_change_of_prod():
    """The soak's seed 6104: R2 (V0) goes to qa, uat and prod; uat is refreshed from prod; R2
    is rolled back in qa, then in prod (V0 back to `start`); R3 (T0) is built and taken along
    the path with --overwrite-all: prod made no change by hand, yet the record listed V0 as
    prod's change overwritten ("by Org Admin … dev2 → start"): the rollback's deploy, made
    before R3's build, was dated as prod's own change."""
    machine = ChildGuardMachine()
    v0, f0 = "ValidationRule:Model__c.V0", "CustomField:Model__c.F0__c"
    try:
        for step in (lambda: machine.fresh_train_through_the_path(v0, "named"),
                     lambda: machine.hotfix_then_promote(Scripted("R2", "uat", v0), "named"),
                     machine.build,
                     machine.refresh_uat,
                     machine.build,
                     lambda: machine.rollback(Scripted("qa")),
                     lambda: machine.rollback(Scripted("prod")),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "named"),
                     lambda: machine.fresh_train_through_the_path("RecordType:Model__c.T0",
                                                                  "all")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_after_a_refresh_of_uat_a_rollback_of_prod_is_no_hand_change_of_prod():
    """The soak's seed 6201 (scripted from its failure: the seed's path depends on
    same-second dates and did not repeat): R2 (F0) goes to qa, uat and prod; uat is refreshed
    from prod (the hop uat → prod loses its base: prod is taken as of the refresh, R2's F0 in
    it); R2 is rolled back in prod and qa; R3 (F0 again, and F1) goes along the path: prod
    made no change by hand, yet R3 → prod was refused for F0, the rollback's deploy read as
    prod's own change since the refresh."""
    machine = ChildGuardMachine()
    f0, f1 = "CustomField:Model__c.F0__c", "CustomField:Model__c.F1__c"
    try:
        for step in (lambda: machine.fresh_train_through_the_path(f0, "none"),
                     machine.refresh_uat,
                     lambda: machine.rollback(Scripted("prod")),
                     lambda: machine.rollback(Scripted("qa")),
                     lambda: machine.fresh_train_through_the_path(f1, "none")):
            step()
            machine.orgs_hold_what_the_oracle_says()
        assert machine.trains["R3"]["state"].get("prod") == "deployed", machine.trains["R3"]
    finally:
        machine.teardown()


def test_prods_hand_change_under_two_refused_promotions_is_named_by_a_fresh_train():
    """The soak's seed 7101: uat refreshed; R1 (F0) pushed through qa and uat over hand
    changes; two hand changes of F0 in prod, each refusing R1 → prod; R2 (V0) along the path
    --overwrite-all; R3 (F0) along the path --overwrite-all: prod's F0 is prod's own, so the
    record must list it as overwritten."""
    machine = ChildGuardMachine()
    f0 = "CustomField:Model__c.F0__c"
    try:
        for step in (machine.refresh_uat,
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "all"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "uat", f0), "none"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "all"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "uat", f0), "named"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "prod", f0), "none"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "prod", f0), "none"),
                     lambda: machine.fresh_train_through_the_path("ValidationRule:Model__c.V0",
                                                                  "all"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "all"),
                     lambda: machine.fresh_train_through_the_path(f0, "all")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_a_prod_hotfix_copied_to_uat_by_a_refresh_is_still_prods():
    """The soak's seed 7102 (on main too): prod changes F0 by hand; uat is refreshed from prod
    (its copy of the hotfix is not uat's own); R2 (F0 from dev, and a permission entry) goes
    along the path naming every hand change: at prod the hop uat → prod, re-baselined at the
    refresh, holds the hotfix on both sides, uat then changed it (R2), so the guard called it
    pending and R2 deployed over prod's hotfix unnamed. Prod's change before the refresh, never
    promoted from uat, is now a conflict at prod."""
    machine = ChildGuardMachine()
    try:
        for step in (lambda: machine.hand_change(
                        "qa", "PermissionSetFieldPermission:Model_Access/Model__c.F1__c"),
                     lambda: machine.hand_change("prod", "CustomField:Model__c.F0__c"),
                     machine.refresh_uat,
                     lambda: machine.fresh_train_through_the_path(
                         "PermissionSetFieldPermission:Model_Access/Model__c.F1__c", "named")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_a_prod_hotfix_copied_to_uat_stays_prods_after_a_later_sync_point():
    """The soak's seed 8102: prod changes T0 by hand (so did uat), uat is refreshed from prod,
    a fresh train of other components goes to prod (its promotion records the hop's sync
    point, T0 equal on both sides), then a fresh train of T0 with --overwrite-all: at prod the
    guard called T0 pending, since the sync point after the refresh saw no difference, and
    the record listed nothing overwritten. Prod's hotfix, never promoted, is still prod's."""
    machine = ChildGuardMachine()
    try:
        for step in (lambda: machine.hand_change("uat", "RecordType:Model__c.T0"),
                     lambda: machine.hand_change("prod", "RecordType:Model__c.T0"),
                     lambda: machine.hand_change("dev", "CustomField:Model__c.F0__c"),
                     lambda: machine.hand_change("dev", "ListView:Model__c.L0"),
                     machine.refresh_uat,
                     lambda: machine.fresh_train_through_the_path(
                         "CustomField:Model__c.F1__c", "none"),
                     lambda: machine.fresh_train_through_the_path(
                         "RecordType:Model__c.T0", "all")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()


def test_a_trains_own_deploy_in_uat_is_no_change_of_uats_when_qa_moved_on():
    """The soak's seed 7103 (scripted from its steps: the seed hinges on same-second dates):
    uat is refreshed; R3 (F0) goes along the path; R1 (F0, older) goes to qa, qa changes
    F0 by hand, then R1 goes to uat (over uat's own hand change, --overwrite-all) and prod;
    R3 → uat again was refused for F0 "changed in uat". The cause is not uat's overwritten
    hand change (without it the refusal is the same): R1's sync point qa → uat saw F0 changed
    on both sides since the last base, uat's side by R1's own deploy, and recorded a
    conflict. What a promotion wrote is the release process's: qa's hand change is pending."""
    machine = ChildGuardMachine()
    f0 = "CustomField:Model__c.F0__c"
    try:
        for step in (lambda: machine.hotfix_then_promote(Scripted("R1", "qa", f0), "none"),
                     lambda: machine.fresh_train_through_the_path("CustomLabel:Lab0", "none"),
                     machine.refresh_uat,
                     lambda: machine.fresh_train_through_the_path(f0, "named"),
                     lambda: machine.promote(Scripted("R1", "qa"), "named"),
                     lambda: machine.hotfix_then_promote(Scripted("R2", "qa", f0), "none"),
                     lambda: machine.hotfix_then_promote(Scripted("R3", "prod", f0), "named"),
                     lambda: machine.hotfix_then_promote(Scripted("R1", "uat", f0), "all"),
                     lambda: machine.promote(Scripted("R1", "prod"), "none"),
                     lambda: machine.promote(Scripted("R2", "qa"), "none"),
                     lambda: machine.promote(Scripted("R3", "uat"), "named")):
            step()
            machine.orgs_hold_what_the_oracle_says()
    finally:
        machine.teardown()
