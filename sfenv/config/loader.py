"""sfenv.yml -> Config, with every problem reported as `file:line: what is wrong`.

PyYAML's node tree keeps the line of every key and value, so we walk nodes rather than the
plain dicts `safe_load` gives: validation messages can then point at the exact line.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sfenv.config.adoption import parse_adoption
from sfenv.config.model import (
    AUTH_METHODS,
    ENV_KINDS,
    OVERLAY_FLAG_KEYS,
    OVERLAY_TEXT_KEYS,
    SHIPPED_MANIFESTS,
    Config,
    EnvConfig,
    PullSettings,
    TypeNames,
    TypeOverlay,
)
from sfenv.config.monitor import parse_monitor
from sfenv.config.notify import parse_notify
from sfenv.config.reader import YamlReader as _Reader
from sfenv.errors import ConfigError

ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")

TOP_KEYS = {
    "project", "api_version", "repository", "environments", "path", "manifest",
    "include_types", "exclude", "manual_types", "include_managed", "pull", "notify",
    "monitor", "adoption", "metadata_types",
}
ENV_KEYS = {
    "kind", "auth", "login_url", "instance_url", "username", "password_env", "token_env",
    "access_token_env", "sfdx_url_env", "client_id", "key_file", "sf_alias", "ca_file",
    "production", "purpose", "owner", "refresh", "values", "test_level", "strict", "jwt",
    "repository", "ref", "path",
}
BOOL_KEYS = {"production", "strict"}
SOURCE_ENV_KEYS = {"kind", "repository", "ref", "path", "production", "purpose", "owner",
                   "refresh", "values"}
MAX_DEPTH = 32  # sfenv.yml nests four levels; deeper is a mistake or an attack
# libyaml's parser where PyYAML was built with it: the same events, nodes and marks, read ~20x
# faster (every command reads sfenv.yml twice: its events, then its nodes); a file it refuses is
# read again by the pure parser, whose messages sfenv has always shown
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# pull settings: (smallest, largest) accepted; ints must be whole numbers
PULL_BOUNDS: dict[str, tuple[float, float]] = {
    "chunk_size": (1, 100_000), "parallel": (1, 25), "list_parallel": (1, 25),
    "poll_interval": (0.01, 60), "poll_max_interval": (0.01, 600), "timeout_s": (1, 86_400),
    "audit_days": (1, 3_650), "http_timeout_s": (0.1, 3_600), "verify_every": (1, 1_000),
}
TEST_LEVELS = {"NoTestRun", "RunSpecifiedTests", "RunLocalTests", "RunAllTestsInOrg"}


def find_config(start: Path | None = None) -> Path:
    """The sfenv.yml in this folder or the nearest parent."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "sfenv.yml"
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no sfenv.yml in {here} or its parents (run `sfenv init` to write one)")


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate sfenv.yml; ConfigError names file and line of the first problem."""
    file = Path(path) if path else find_config()
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    try:
        data = file.read_bytes()
    except OSError as err:
        raise ConfigError(f"{file}: cannot be read ({err.strerror})") from None
    text = _decode(file, data)
    try:
        try:
            _check_events(file, text, _LOADER)
            root = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:
            # the pure parser's message names more (the tab it met, the token it expected)
            _check_events(file, text, yaml.SafeLoader)
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{file}:{line}: not valid YAML: {problem}") from None
    if root is None:
        raise ConfigError(f"{file}:1: the file is empty")
    return _build(_Reader(file), root)


def _decode(file: Path, data: bytes) -> str:
    """sfenv.yml is UTF-8 (a BOM is tolerated); anything else is named with its line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        raise ConfigError(f"{file}:1: the file is UTF-16 (or binary); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ConfigError(f"{file}:{line}: not valid UTF-8 (byte 0x{data[err.start]:02x}); "
                          "save the file as UTF-8") from None


def _check_events(file: Path, text: str, loader: type[yaml.SafeLoader]) -> None:
    """Refuse, before anything is built, what plain configuration never needs: tags (which
    could construct objects), anchors and aliases (which can multiply a small file into a huge
    one), more than one document and deep nesting (which exhausts the recursion of a build)."""
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ConfigError(f"{file}:{line}: more than one YAML document")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ConfigError(f"{file}:{line}: YAML anchors and aliases are not allowed in sfenv.yml")
        tag = getattr(event, "tag", None)
        if tag and tag != "!":
            raise ConfigError(f"{file}:{line}: YAML tag {tag!r} is not allowed in sfenv.yml")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{file}:{line}: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _build(r: _Reader, root: yaml.Node) -> Config:
    top = r.mapping(root, "sfenv.yml")
    for key, (key_node, _) in top.items():
        if key not in TOP_KEYS:
            raise r.fail(key_node, f"unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})")
    for required in ("project", "environments", "path"):
        if required not in top:
            raise r.fail(root, f"missing required key '{required}'")

    project = r.string(top["project"][1], "project")
    api_version = r.string(top["api_version"][1], "api_version") if "api_version" in top else "62.0"
    if not re.fullmatch(r"\d{2}\.0", api_version):
        raise r.fail(top["api_version"][1], f"api_version must look like \"62.0\", not {api_version!r}")

    environments = _environments(r, top["environments"][1])
    stages = _stages(r, top["path"][1], environments)

    root_dir = r.file.parent
    if "repository" in top:
        node = top["repository"][1]
        text = r.string(node, "repository")
        if "\0" in text:
            raise r.fail(node, "repository must not contain a NUL character")
        try:
            root_dir = (r.file.parent / text).resolve()
        except (OSError, ValueError, RuntimeError) as err:
            raise r.fail(node, f"repository {text!r} is not a usable path ({err})") from None
        problem = _uncreatable(root_dir)
        if problem:
            raise r.fail(node, f"repository {root_dir}: {problem}")

    config = Config(
        environments_line=top["environments"][0].start_mark.line + 1,
        file=r.file,
        root=root_dir,
        project=project,
        api_version=api_version,
        environments=environments,
        stages=stages,
    )
    if "manifest" in top:
        config.manifest = r.string(top["manifest"][1], "manifest")
        if config.manifest not in SHIPPED_MANIFESTS \
                and not (root_dir / config.manifest).expanduser().is_file():
            raise r.fail(top["manifest"][1], f"manifest file {root_dir / config.manifest} does "
                         "not exist (use default, core, backup or a package.xml path)")
    if "include_types" in top:
        config.include_types = r.string_list(top["include_types"][1], "include_types")
        config.type_names.append(_type_names(top["include_types"][1], config.include_types,
                                             "include_types"))
    if "exclude" in top:
        config.exclude = r.string_list(top["exclude"][1], "exclude")
        config.type_names.append(_type_names(top["exclude"][1], config.exclude, "exclude"))
    if "manual_types" in top:
        config.manual_types = r.string_list(top["manual_types"][1], "manual_types")
        config.type_names.append(_type_names(top["manual_types"][1], config.manual_types,
                                             "manual_types"))
    if "include_managed" in top:
        config.include_managed = r.boolean(top["include_managed"][1], "include_managed")
    if "pull" in top:
        config.pull = _pull_settings(r, top["pull"][1])
    if "metadata_types" in top:
        config.metadata_types = _metadata_types(r, top["metadata_types"][1])
    if "notify" in top:
        config.notify = parse_notify(r, top["notify"][1], set(environments))
    if "monitor" in top:
        config.monitor = parse_monitor(r, top["monitor"][1])
    if "adoption" in top:
        config.adoption = parse_adoption(r, top["adoption"][1])
    config.warnings = _off_path(r, environments, stages)
    return config


def _off_path(r: _Reader, envs: dict[str, EnvConfig], stages: list[list[str]]) -> list[str]:
    """Warnings for org environments declared but not on the path. Warned, not refused: an org
    kept only to be pulled and compared (a reporting org, a mirror) is a real use; but a
    forgotten path entry means promotions never reach it, so it must not pass unsaid. A `kind:
    git` or `dir` environment off the path is not warned: a branch or folder read to compare
    or build a train from (a pull request's branch) is what those kinds are for, and a warning
    on every command would teach the team to ignore warnings."""
    on_path = {env for stage in stages for env in stage}
    return [f"{r.file}:{env.line}: environment '{name}' is declared but not on the path: "
            "promotions never reach it (add it to path, or remove it if it is not used)"
            for name, env in envs.items() if name not in on_path and env.is_org]


def _environments(r: _Reader, node: yaml.Node) -> dict[str, EnvConfig]:
    envs: dict[str, EnvConfig] = {}
    for name, (key_node, value_node) in r.mapping(node, "environments").items():
        if not ENV_NAME.match(name):
            raise r.fail(key_node, f"environment name '{name}' must be a letter then letters, digits, - or _")
        envs[name] = _environment(r, name, key_node, value_node)
    if not envs:
        raise r.fail(node, "environments: declare at least one environment")
    return envs


def _environment(r: _Reader, name: str, key_node: yaml.Node, node: yaml.Node) -> EnvConfig:
    fields = r.mapping(node, f"environment '{name}'")
    env = EnvConfig(name=name, line=key_node.start_mark.line + 1)
    for key, (k_node, v_node) in fields.items():
        if key not in ENV_KEYS:
            raise r.fail(k_node, f"environment '{name}': unknown key '{key}'")
        if key in BOOL_KEYS:
            setattr(env, key, r.boolean(v_node, f"{name}.{key}"))
        elif key == "values":
            env.values = {
                k: r.string(v, f"{name}.values.{k}")
                for k, (_, v) in r.mapping(v_node, f"{name}.values").items()
            }
        elif key == "jwt":
            jwt = r.mapping(v_node, f"{name}.jwt")
            for sub in ("client_id", "key_file", "username", "login_url"):
                if sub in jwt:
                    setattr(env, sub, r.string(jwt[sub][1], f"{name}.jwt.{sub}"))
            env.auth = "jwt"
        else:
            setattr(env, key, r.string(v_node, f"{name}.{key}"))
    if env.kind not in ENV_KINDS:
        raise r.fail(fields["kind"][1], f"environment '{name}': kind must be one of {', '.join(ENV_KINDS)}")
    if not env.is_org:
        return _source_environment(r, name, key_node, fields, env)
    for source_key in ("repository", "ref", "path"):
        if source_key in fields:
            raise r.fail(fields[source_key][0],
                         f"environment '{name}': '{source_key}' is for kind git or dir, not org")
    if "auth" not in fields and env.auth != "jwt":
        env.auth = _infer_auth(env)
    if env.auth not in AUTH_METHODS:
        raise r.fail(fields.get("auth", (key_node, node))[1],
                     f"environment '{name}': auth must be one of {', '.join(AUTH_METHODS)}")
    problem = _missing_auth(env)
    if problem:
        raise r.fail(key_node, f"environment '{name}': {problem}")
    if env.test_level and env.test_level not in TEST_LEVELS:
        raise r.fail(fields["test_level"][1], f"environment '{name}': test_level must be one of {', '.join(sorted(TEST_LEVELS))}")
    for url_key in ("login_url", "instance_url"):
        url = getattr(env, url_key)
        if url and not re.match(r"^https?://", url):
            raise r.fail(fields[url_key][1], f"environment '{name}': {url_key} must start with https://")
        if url:
            problem = _bad_url(url)
            if problem:
                raise r.fail(fields[url_key][1],
                             f"environment '{name}': {url_key} {url!r} is not a valid URL ({problem})")
    return env


def _bad_url(url: str) -> str | None:
    """Why `url` cannot be logged in to (an unclosed IPv6 bracket, no host, a bad port), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError as err:
        return str(err)
    if not parts.hostname:
        return "no host name"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "spaces or control characters"
    return None


def _source_environment(r: _Reader, name: str, key_node: yaml.Node,
                        fields: dict[str, tuple[yaml.Node, yaml.Node]], env: EnvConfig) -> EnvConfig:
    """`kind: git` (repository + ref) or `kind: dir` (path): no login, read from files."""
    org_only = sorted(k for k in fields if k in ENV_KEYS - SOURCE_ENV_KEYS)
    if org_only:
        raise r.fail(fields[org_only[0]][0],
                     f"environment '{name}': '{org_only[0]}' is for org environments, not kind {env.kind}")
    if env.kind == "dir" and not env.path:
        raise r.fail(key_node, f"environment '{name}': kind dir needs path (the project folder)")
    if env.kind == "git" and not env.ref:
        raise r.fail(key_node, f"environment '{name}': kind git needs ref (a branch, tag or commit)")
    if env.kind == "dir" and env.repository:
        raise r.fail(fields["repository"][0], f"environment '{name}': repository is for kind git")
    return env


def _infer_auth(env: EnvConfig) -> str:
    if env.sfdx_url_env:
        return "sfdx_url"
    if env.access_token_env:
        return "access_token"
    if env.client_id and env.key_file:
        return "jwt"
    if env.sf_alias:
        return "sf_cli"
    return "password"


def _missing_auth(env: EnvConfig) -> str | None:
    """What the chosen auth method lacks, or None."""
    needs = {
        "password": ("username", "password_env"),
        "access_token": ("instance_url", "access_token_env"),
        "sfdx_url": ("sfdx_url_env",),
        "jwt": ("client_id", "key_file", "username"),
        "sf_cli": ("sf_alias",),
    }[env.auth]
    missing = [key for key in needs if not getattr(env, key)]
    if not missing:
        return None
    if env.auth == "password" and not env.username and not env.password_env:
        return ("no auth given: use username + password_env, access_token_env + instance_url, "
                "sfdx_url_env, jwt (client_id, key_file, username) or sf_alias")
    return f"auth '{env.auth}' needs {', '.join(missing)}"


def _stages(r: _Reader, node: yaml.Node, envs: dict[str, EnvConfig]) -> list[list[str]]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise r.fail(node, "path must be a list of environments, e.g. [dev, qa, prod]")
    stages: list[list[str]] = []
    seen: set[str] = set()
    for item in node.value:
        members = r.string_list(item, "path stage")
        for member in members:
            if member not in envs:
                raise r.fail(item, f"path names unknown environment '{member}' (declared: {', '.join(envs)})")
            if member in seen:
                raise r.fail(item, f"path names environment '{member}' twice")
            seen.add(member)
        stages.append(members)
    _production_last(r, node, envs, stages)
    return stages


def _production_last(r: _Reader, node: yaml.Node, envs: dict[str, EnvConfig],
                     stages: list[list[str]]) -> None:
    """One production environment at most, and only in the last stage of the path: a train
    promoted through production into another stage would reach production before its tests."""
    productions = [name for name, env in envs.items() if env.production]
    if len(productions) > 1:
        second = envs[productions[1]]
        raise r.fail(_line_node(second.line, node), f"environments '{productions[0]}' and "
                     f"'{productions[1]}' both say production: true; only one environment is "
                     "production")
    for index, stage in enumerate(stages[:-1]):
        for member in stage:
            if envs[member].production:
                raise r.fail(node.value[index], f"path puts production environment '{member}' "
                             f"before {', '.join(stages[index + 1])}: production must be the "
                             "last stage")


def _line_node(line: int, fallback: yaml.Node) -> yaml.Node:
    """A stand-in node whose mark is `line` (1-based), for messages about a declaration."""
    if not line:
        return fallback
    return yaml.ScalarNode("tag:yaml.org,2002:str", "", start_mark=yaml.Mark("", 0, line - 1, 0, "", 0))


TYPE_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,79}$")


def _metadata_types(r: _Reader, node: yaml.Node) -> list[TypeOverlay]:
    """`metadata_types:` as written: names and the shape of each entry. What the values mean
    (a known strategy, a free directory) is the registry's to check, after loading."""
    out: list[TypeOverlay] = []
    for name, (key_node, value_node) in r.mapping(node, "metadata_types").items():
        if not TYPE_NAME.match(name):
            raise r.fail(key_node, f"metadata_types: '{name}' is not a metadata type name "
                         "(a capital letter, then letters and digits: MyThing)")
        values: list[tuple[str, str | bool]] = []
        lines: list[tuple[str, int]] = []
        for key, (k_node, v_node) in r.mapping(value_node, f"metadata_types.{name}").items():
            what = f"metadata_types.{name}.{key}"
            if key in OVERLAY_TEXT_KEYS:
                values.append((key, r.string(v_node, what)))
            elif key in OVERLAY_FLAG_KEYS:
                values.append((key, r.boolean(v_node, what)))
            else:
                known = ", ".join((*OVERLAY_TEXT_KEYS, *OVERLAY_FLAG_KEYS))
                raise r.fail(k_node, f"metadata_types.{name}: unknown key '{key}' (known: {known})")
            lines.append((key, k_node.start_mark.line + 1))
        if not values:
            raise r.fail(key_node, f"metadata_types.{name}: say what is different (for a new "
                         "type at least directory and suffix)")
        out.append(TypeOverlay(name, key_node.start_mark.line + 1, tuple(values), tuple(lines)))
    return out


def _pull_settings(r: _Reader, node: yaml.Node) -> PullSettings:
    settings = PullSettings()
    for key, (k_node, v_node) in r.mapping(node, "pull").items():
        if not hasattr(settings, key):
            raise r.fail(k_node, f"pull: unknown key '{key}'")
        value = r.value(v_node)
        expected = type(getattr(settings, key))
        low, high = PULL_BOUNDS.get(key, (0, math.inf))
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or not low <= value <= high:
            raise r.fail(v_node, f"pull.{key} must be a number from {low:g} to {high:g}")
        if expected is int and value != int(value):
            raise r.fail(v_node, f"pull.{key} must be a whole number")
        setattr(settings, key, expected(value))
    return settings


def _uncreatable(path: Path) -> str | None:
    """Why the metadata repository cannot live at `path`, or None."""
    if path.exists():
        return None if path.is_dir() else "exists and is not a folder"
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot be created: {parent} is not a folder"
    try:  # os.access says yes to root everywhere: try for real, leaving nothing behind
        os.rmdir(tempfile.mkdtemp(prefix=".sfenv-probe-", dir=parent))
    except OSError as err:
        return f"cannot be created in {parent}: {err.strerror}"
    return None


def _type_names(node: yaml.Node, names: list[str], key: str) -> TypeNames:
    """The names under `key`, kept with their line for the type check after loading (a typo
    would silently empty a pull; the check needs the registry, which config cannot import)."""
    return TypeNames(key, node.start_mark.line + 1, tuple(names))
