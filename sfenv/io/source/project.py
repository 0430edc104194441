"""An sfdx project as sfenv reads it: package directories, `.forceignore`, replacements.

Input is a plain mapping of repository paths to bytes (from a folder or a git tree), so the
same code serves `dir` and `git` environments and `sfenv delta`.
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import pathspec

from sfenv.errors import ConfigError

PROJECT_FILE = "sfdx-project.json"
FORCEIGNORE = ".forceignore"
# What the Salesforce CLI ignores whatever .forceignore says.
DEFAULT_IGNORES = ("**/*.dup", "**/.*", "**/package2-descriptor.json",
                   "**/package2-manifest.json")


@dataclass(frozen=True)
class Replacement:
    """One `replacements` entry of sfdx-project.json (file or glob; string or regex; env or file)."""

    filename: str | None
    glob: str | None
    string: str | None
    regex: str | None
    env_name: str | None  # replaceWithEnv
    file: str | None  # replaceWithFile

    def applies_to(self, path: str) -> bool:
        if self.filename is not None:
            return path == self.filename
        if not self.glob:
            return False
        return bool(pathspec.GitIgnoreSpec.from_lines([self.glob]).match_file(path))


@dataclass(frozen=True)
class SfdxProject:
    package_dirs: tuple[str, ...]
    ignore: pathspec.GitIgnoreSpec
    replacements: tuple[Replacement, ...] = ()
    api_version: str | None = None
    warnings: tuple[str, ...] = field(default=())
    options: tuple[str, ...] = ()  # sourceBehaviorOptions (decomposition presets)

    def ignored(self, path: str) -> bool:
        return self.ignore.match_file(path)

    def in_package(self, path: str) -> bool:
        return any(d in ("", ".") or path.startswith(d.rstrip("/") + "/") for d in self.package_dirs)


def is_source_project(paths: Mapping[str, object]) -> bool:
    return PROJECT_FILE in paths


def read_project(files: Mapping[str, bytes], where: str) -> SfdxProject:
    """The project described by `sfdx-project.json` and `.forceignore` among `files`."""
    raw = files.get(PROJECT_FILE)
    if raw is None:
        raise ConfigError(f"{where}: no {PROJECT_FILE} (not an sfdx project)")
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise ConfigError(f"{where}/{PROJECT_FILE}: not valid JSON: {err}") from None
    except RecursionError:
        raise ConfigError(f"{where}/{PROJECT_FILE}: nested too deeply to be a project "
                          "file") from None
    dirs = data.get("packageDirectories") if isinstance(data, dict) else None
    if not isinstance(dirs, list) or not dirs:
        raise ConfigError(f"{where}/{PROJECT_FILE}: packageDirectories must list at least one path")
    package_dirs: list[str] = []
    for entry in dirs:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.strip() or ".." in path.split("/"):
            raise ConfigError(f"{where}/{PROJECT_FILE}: packageDirectories entry without a valid path")
        package_dirs.append(path.strip().removeprefix("./").rstrip("/"))
    lines = list(DEFAULT_IGNORES)
    if FORCEIGNORE in files:
        lines += files[FORCEIGNORE].decode("utf-8", "replace").splitlines()
    replacements = tuple(_replacement(r, where) for r in data.get("replacements") or ())
    version = data.get("sourceApiVersion")
    options = data.get("sourceBehaviorOptions") or []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise ConfigError(f"{where}/{PROJECT_FILE}: sourceBehaviorOptions must be a list of names")
    return SfdxProject(tuple(package_dirs), pathspec.GitIgnoreSpec.from_lines(lines),
                       replacements, version if isinstance(version, str) else None,
                       options=tuple(options))


def _replacement(entry: object, where: str) -> Replacement:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}/{PROJECT_FILE}: a replacements entry must be an object")

    def text(key: str) -> str | None:
        value = entry.get(key)
        return value if isinstance(value, str) else None

    r = Replacement(text("filename"), text("glob"), text("stringToReplace"), text("regexToReplace"),
                    text("replaceWithEnv"), text("replaceWithFile"))
    if (r.filename is None and r.glob is None) or (r.string is None and r.regex is None):
        raise ConfigError(f"{where}/{PROJECT_FILE}: a replacement needs filename or glob, and "
                          "stringToReplace or regexToReplace")
    return r


def source_files(files: Mapping[str, bytes], project: SfdxProject) -> dict[str, bytes]:
    """The files of the package directories that `.forceignore` does not exclude."""
    return {p: d for p, d in files.items() if project.in_package(p) and not project.ignored(p)}


def apply_replacements(files: dict[str, bytes], project: SfdxProject,
                       values: Mapping[str, str], all_files: Mapping[str, bytes]) -> list[str]:
    """Apply replacements whose `replaceWithEnv` names a value declared for the environment
    (or whose `replaceWithFile` is in the repository); return warnings for the others."""
    warnings: list[str] = []
    for r in project.replacements:
        if r.env_name is not None:
            if r.env_name not in values:
                warnings.append(f"replacement {r.env_name!r} not applied: the environment "
                                f"declares no value {r.env_name!r}")
                continue
            new = values[r.env_name]
        elif r.file is not None and r.file in all_files:
            new = all_files[r.file].decode("utf-8", "replace")
        else:
            warnings.append(f"replacement from {r.file!r} not applied: no such file")
            continue
        paths = [p for p in files if r.applies_to(p)]
        if r.string is not None:
            for path in paths:
                text = files[path].decode("utf-8", "surrogateescape")
                files[path] = text.replace(r.string, new).encode("utf-8", "surrogateescape")
        elif paths:
            files.update(_bounded_sub(r.regex or "", new, {p: files[p] for p in paths}))
    return warnings


REGEX_SECONDS = 10.0
_SUB = """
import pickle, re, sys
pattern, new, files = pickle.load(sys.stdin.buffer)
rx = re.compile(pattern)
out = {p: rx.sub(lambda _m: new, d.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
       for p, d in files.items()}
sys.stdout.buffer.write(pickle.dumps(out))
"""


def _bounded_sub(pattern: str, new: str, files: dict[str, bytes]) -> dict[str, bytes]:
    """`re.sub(pattern, new)` over `files`, in a child process killed after REGEX_SECONDS.

    Why: the pattern comes from the repository (a branch under review may carry one), and a
    catastrophic one such as `(a+)+$` would otherwise hang the pull that holds the
    environment's lock. The standard `re` has no timeout; a thread cannot be stopped."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise ConfigError(f"{PROJECT_FILE}: replacements regexToReplace {pattern!r}: {err}") from None
    payload = pickle.dumps((pattern, new, files))
    try:
        done = subprocess.run([sys.executable, "-c", _SUB], input=payload, capture_output=True,
                              timeout=REGEX_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{PROJECT_FILE}: replacements regexToReplace {pattern!r} ran over "
                          f"{REGEX_SECONDS:g} s on {len(files)} file(s); refused (a pattern "
                          "that backtracks without bound?)") from None
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"{PROJECT_FILE}: replacements regexToReplace {pattern!r} failed: {last}")
    result: dict[str, bytes] = pickle.loads(done.stdout)  # noqa: S301 - our own child's output
    return result
