"""Seed orgs: realistic sample metadata written into a local org folder.

`materialize(seed, dest)` writes Metadata API format files plus `dest/.localorg/seed.json`
(org name, users, per-component dates and authors, SetupAuditTrail rows), which the local org
server reads on its first start. Seeds:

- `acme-prod`, `acme-qa`, `acme-dev`: one shared base (`seeds/acme/base/`) plus layers
  (`seeds/acme/<layer>/files|merge`) listed in `seeds/acme/layers.yml`, so the orgs differ the
  way real ones do: qa holds the next release, dev holds work in progress on top of it, and prod
  carries a hotfix made directly in production.
- `large:<n>[:<rng seed>]`: `n` generated components (`sfenv.localorg.seeds.generate`).

The base files hold production values; environment-specific values (`ENV_VALUES`: endpoints,
org-wide email addresses, usernames with sandbox suffixes) are substituted per org, and the same
table is what a project declares as `values:` in sfenv.yml.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from lxml import etree

from sfenv.core.metadata.components import component_pieces
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.registry import Registry, default_registry
from sfenv.core.metadata.xmlio import local_name, parse_xml, write_xml
from sfenv.errors import ConfigError
from sfenv.localorg.seeds.generate import generate_org, large_seed_state

SEEDS_DIR = Path(__file__).parent
ACME_DIR = SEEDS_DIR / "acme"
STATE_DIR = ".localorg"
SEED_FILE = "seed.json"
API_VERSION = "62.0"
ACME_SEEDS = ("acme-dev", "acme-qa", "acme-prod")
PROD_DOMAIN = "@acme.example"
PROD_ADMIN = "admin@acme.example"

# Environment-specific values per seed. Keys are what sfenv.yml declares under `values:`.
ENV_VALUES: dict[str, dict[str, str]] = {
    "acme-prod": {
        "billing_endpoint": "https://api.acme-billing.example",
        "billing_email": "billing@acme.example",
        "support_email": "support@acme.example",
        "support_escalations_email": "support-escalations@acme.example",
        "username_admin": "admin@acme.example",
        "username_elena": "elena.garcia@acme.example",
        "username_lena": "lena.novak@acme.example",
        "username_marcus": "marcus.chen@acme.example",
        "username_priya": "priya.patel@acme.example",
        "username_sofia": "sofia.rossi@acme.example",
        "username_tom": "tom.becker@acme.example",
    },
    "acme-qa": {
        "billing_endpoint": "https://api.qa.acme-billing.example",
        "billing_email": "billing-qa@acme.example",
        "support_email": "support-qa@acme.example",
        "support_escalations_email": "support-escalations-qa@acme.example",
        "username_admin": "admin@acme.qa.example",
        "username_elena": "elena.garcia@acme.example.qa",
        "username_lena": "lena.novak@acme.example.qa",
        "username_marcus": "marcus.chen@acme.example.qa",
        "username_priya": "priya.patel@acme.example.qa",
        "username_sofia": "sofia.rossi@acme.example.qa",
        "username_tom": "tom.becker@acme.example.qa",
    },
    "acme-dev": {
        "billing_endpoint": "https://api.dev.acme-billing.example",
        "billing_email": "billing-dev@acme.example",
        "support_email": "support-dev@acme.example",
        "support_escalations_email": "support-escalations-dev@acme.example",
        "username_admin": "admin@acme.dev.example",
        "username_elena": "elena.garcia@acme.example.dev",
        "username_lena": "lena.novak@acme.example.dev",
        "username_marcus": "marcus.chen@acme.example.dev",
        "username_priya": "priya.patel@acme.example.dev",
        "username_sofia": "sofia.rossi@acme.example.dev",
        "username_tom": "tom.becker@acme.example.dev",
    },
}

# Elements that identify a repeated element when a layer merges into a base file.
_MERGE_KEYS = ("fullName", "apexClass", "application", "field", "layout", "object", "recordType",
               "tab", "name", "picklist")
_BASE_START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # first build of the Acme org
_BASE_SPAN_DAYS = 520  # base components were last modified before the current release cycle


def list_seeds() -> list[str]:
    """The seed names `materialize` accepts (`large:<n>[:<rng seed>]` is a pattern)."""
    return [*sorted(ACME_SEEDS), "large:<n>[:<rng seed>]"]


def materialize(seed: str, dest: Path) -> None:
    """Write the org `seed` into `dest` (created if missing; must be empty)."""
    dest = Path(dest)
    large = _parse_large(seed)
    if large is None and seed not in ACME_SEEDS:
        raise ConfigError(f"unknown seed {seed!r}: expected one of {', '.join(list_seeds())}")
    if dest.exists() and any(dest.iterdir()):
        raise ConfigError(f"{dest}: not empty; a seed org is written into an empty folder")
    dest.mkdir(parents=True, exist_ok=True)
    if large is not None:
        generated = generate_org(dest, large[0], large[1])
        _write_state(dest, large_seed_state(generated))
        return
    files, state = build_acme(seed)
    for rel in sorted(files):
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
    _write_state(dest, state)


def _parse_large(seed: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"large:(\d+)(?::(\d+))?", seed)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def _write_state(dest: Path, state: dict) -> None:
    state_dir = dest / STATE_DIR
    state_dir.mkdir(exist_ok=True)
    text = json.dumps(state, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
    (state_dir / SEED_FILE).write_text(text, encoding="utf-8")


# --- the Acme orgs ----------------------------------------------------------------------------

@cache
def _layers_config() -> dict:
    return yaml.safe_load((ACME_DIR / "layers.yml").read_text(encoding="utf-8"))


def sandbox_username(username: str, seed: str) -> str:
    """A production username as it reads in the seed's org: `admin@acme.example` ->
    `admin@acme.qa.example` (the admin who created the sandbox), others get Salesforce's
    sandbox suffix `user@acme.example.qa`. Every username has a dotted domain, as Salesforce's
    (and the `sf` CLI's) email-shaped usernames do."""
    if seed == "acme-prod" or not username.endswith(PROD_DOMAIN):
        return username
    sandbox = seed.removeprefix("acme-")
    if username == PROD_ADMIN:
        return f"admin@acme.{sandbox}.example"
    return f"{username}.{sandbox}"


def build_acme(seed: str) -> tuple[dict[str, bytes], dict]:
    """Files (path -> bytes) and seed.json content of one Acme org."""
    config = _layers_config()
    spec = config["seeds"][seed]
    registry = default_registry()
    files = _read_tree(ACME_DIR / "base")
    pieces = component_pieces(files, registry)
    props = {str(cid): _base_props(str(cid), config["base_authors"]) for cid in pieces}
    audit = list(config.get("audit_trail") or [])
    members = {k: list(v) for k, v in (config.get("group_members") or {}).items()}
    for name in spec["layers"]:
        layer = config["layers"][name]
        _apply_layer(files, ACME_DIR / name, layer, registry)
        after = component_pieces(files, registry)
        overrides = layer.get("components") or {}
        for cid, piece in after.items():
            key = str(cid)
            old = pieces.get(cid)
            if old is None or (old.xml, old.files) != (piece.xml, piece.files) or key in overrides:
                who = overrides.get(key, {})
                by, when = who.get("by", layer["by"]), who.get("date", layer["date"])
                created = props[key] if old is not None and key in props else {
                    "createdDate": when, "createdByName": by}
                props[key] = {"lastModifiedDate": when, "lastModifiedByName": by,
                              "createdDate": created["createdDate"],
                              "createdByName": created["createdByName"]}
        for key in [k for k in props if _cid(k) not in after]:
            del props[key]
        pieces = after
        audit += layer.get("audit_trail") or []
        for group, rows in (layer.get("group_members") or {}).items():
            members.setdefault(group, []).extend(rows)
    swap = _substitution(seed)
    files = {path: swap(data) for path, data in files.items()}
    users = _users(config["users"], seed)
    state = {
        "org_name": spec["org_name"],
        "is_sandbox": bool(spec["is_sandbox"]),
        "source_tracking": bool(spec.get("source_tracking", False)),
        "instance_name": spec["instance_name"],
        "api_version": API_VERSION,
        "users": users,
        "components": {k: props[k] for k in sorted(props)},
        "audit_trail": sorted(audit, key=lambda row: row["CreatedDate"], reverse=True),
        "group_members": {
            group: [{"type": m["type"], "member": sandbox_username(m["member"], seed)
                     if m["type"] == "User" else m["member"]} for m in rows]
            for group, rows in sorted(members.items())
        },
    }
    return files, state


def _cid(text: str) -> ComponentId:
    return ComponentId.parse(text)


def _read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _base_props(cid: str, authors: list[str]) -> dict[str, str]:
    """Deterministic, plausible dates and authors for a base component (no clock involved)."""
    digest = hashlib.sha256(cid.encode("utf-8")).digest()
    created = _BASE_START + timedelta(days=digest[0] % 120, seconds=(digest[1] * 256 + digest[2]) % 36000)
    modified = created + timedelta(days=digest[3] * 2 % (_BASE_SPAN_DAYS - 120),
                                   seconds=(digest[4] * 256 + digest[5]) % 30000)
    return {"lastModifiedDate": _sf_date(modified),
            "lastModifiedByName": authors[digest[6] % len(authors)],
            "createdDate": _sf_date(created),
            "createdByName": authors[digest[7] % len(authors)]}


def _sf_date(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _apply_layer(files: dict[str, bytes], folder: Path, layer: Mapping,
                 registry: Registry) -> None:
    for path in layer.get("delete") or []:
        if files.pop(path, None) is None:
            raise ConfigError(f"{folder.name}: cannot delete {path}: not in the org")
    for path, data in _read_tree(folder / "files").items():
        files[path] = data
    for path, data in _read_tree(folder / "merge").items():
        if path not in files:
            raise ConfigError(f"{folder.name}/merge/{path}: no such file to merge into")
        files[path] = merge_xml(files[path], data, path)
    for path, keys in (layer.get("remove") or {}).items():
        files[path] = remove_elements(files[path], keys, path)


def _key(el: etree._Element) -> tuple[str, ...]:
    tag = local_name(el)
    parts = [tag]
    for child in el:
        if isinstance(child.tag, str) and local_name(child) in _MERGE_KEYS:
            parts.append(f"{local_name(child)}={child.text or ''}")
    return tuple(parts)


def merge_xml(base: bytes, overlay: bytes, source: str) -> bytes:
    """`base` with each top-level element of `overlay` replacing the element with the same key
    (or, new, inserted where Salesforce writes it: among its siblings in key order)."""
    root = parse_xml(base, source)
    for el in list(parse_xml(overlay, source + " (layer)")):
        if not isinstance(el.tag, str):
            continue
        key = _key(el)
        same = [c for c in root if isinstance(c.tag, str) and c.tag == el.tag]
        match = next((c for c in same if _key(c) == key), None)
        if match is not None:
            match.addnext(el)
            root.remove(match)
        elif same:
            after = next((c for c in same if _key(c) > key), None)
            (after.addprevious(el) if after is not None else same[-1].addnext(el))
        else:
            name = local_name(el)
            after = next((c for c in root if isinstance(c.tag, str)
                          and local_name(c) > name), None)
            (after.addprevious(el) if after is not None else root.append(el))
    return write_xml(root)


def remove_elements(data: bytes, keys: Iterable[str], source: str) -> bytes:
    """`data` without the elements named `tag:key`, e.g. `classAccesses:InvoicePdfLegacy`."""
    root = parse_xml(data, source)
    for spec in keys:
        tag, _, value = spec.partition(":")
        found = [c for c in root if isinstance(c.tag, str) and local_name(c) == tag
                 and any(part.split("=", 1)[1] == value for part in _key(c)[1:])]
        if not found:
            raise ConfigError(f"{source}: no {spec} to remove")
        for el in found:
            root.remove(el)
    return write_xml(root)


def _substitution(seed: str):
    """bytes -> bytes replacing production values by the seed's (one pass, whole values only)."""
    prod, mine = ENV_VALUES["acme-prod"], ENV_VALUES[seed]
    table = {prod[k]: mine[k] for k in prod if prod[k] != mine[k]}
    if not table:
        return lambda data: data
    alternatives = "|".join(re.escape(v) for v in sorted(table, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-]|\.\w)".encode())
    encoded = {k.encode(): v.encode() for k, v in table.items()}
    return lambda data: pattern.sub(lambda m: encoded[m.group(0)], data)


def _users(rows: list[dict], seed: str) -> list[dict]:
    sandbox = seed != "acme-prod"
    users = []
    for row in rows:
        if "only" in row and seed not in row["only"]:
            continue
        username = sandbox_username(row["username"], seed)
        email = row["email"]
        if sandbox and username != sandbox_username(PROD_ADMIN, seed) and "only" not in row:
            email += ".invalid"  # a sandbox refresh masks every email but its creator's
        users.append({"username": username, "name": row["name"], "email": email,
                      "profile": row["profile"], "is_active": bool(row.get("is_active", True))})
    return users
