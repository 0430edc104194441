"""Move sfenv's modules into their layers and rewrite every reference to them.

    python tools/relayout.py --move      # git mv by the table in tools/relayout_map.py
    python tools/relayout.py --rewrite   # imports, patch targets, paths, pyproject's packages
    python tools/relayout.py             # both (--check: say what would change, exit 1 if any)
    python tools/relayout.py --rewrite --docs   # also README.md and docs/*.md

Deterministic and re-runnable: a second run changes nothing, and `--rewrite` alone is safe
after a later merge brings code written against the old names. The move is a script rather
than hand edits because five other branches change the same files today.

Renamed imports are then sorted with ruff's isort rule (`ruff check --select I --fix`).

What `--rewrite` rewrites, in tracked files under sfenv/, tests/, tools/ and in pyproject.toml:
- dotted names `sfenv.a.b[.attr]` anywhere (imports, `mock.patch("sfenv.a.b.f")`,
  `importlib.import_module`, `resources.files("sfenv.a")`, `PackageLoader("sfenv.a", ...)`);
- `from sfenv.a import b` where `b` is a module that moved apart from its package, or a name
  the package's `__init__.py` re-exports from a module that moved apart;
- paths `sfenv/a/b.py` and `"sfenv" / "a"` in tests and tools;
- the `packages = [...]` list of pyproject.toml, regenerated from the tree.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from relayout_map import MOVES, NEW_PACKAGES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# the script, its table and its test (whose fixtures spell old names on purpose)
SELF = {"tools/relayout.py", "tools/relayout_map.py", "tests/architecture/test_relayout.py"}
REWRITE_DIRS = ("sfenv/", "tests/", "tools/")
REWRITE_SUFFIXES = (".py", ".toml", ".cfg", ".ini", ".j2", ".yml", ".yaml", ".json", ".md", ".sh")
SKIP_PREFIXES = ("sfenv/localorg/seeds/acme/",)  # seed data: org metadata, not code


class RelayoutError(Exception):
    """A table or tree the script cannot apply safely (exit 2)."""


@dataclass
class Table:
    """Longest-prefix lookup over dotted names; paths are the same table with slashes."""

    moves: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str]]) -> Table:
        table = cls()
        for old, new in rows:
            if old in table.moves:
                raise RelayoutError(f"relayout_map: {old} listed twice")
            table.moves[old] = new
        for new in set(table.moves.values()):
            if table.dotted(new) != new:
                raise RelayoutError(f"relayout_map: new name {new} would move again to "
                                    f"{table.dotted(new)}: the table is not re-runnable")
        return table

    def dotted(self, name: str) -> str:
        """`name` (a module, package or `module.attribute`) under the new layout."""
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            new = self.moves.get(head)
            if new is not None:
                return ".".join([new, *parts[i:]])
        return name

    def path(self, rel: str) -> str:
        """A repository path under the new layout (`sfenv/a/b.py`, `sfenv/a/data/x.json`)."""
        parts = rel.split("/")
        for i in range(len(parts), 0, -1):
            head = parts[:i]
            last = head[-1]
            is_module = i == len(parts) and last.endswith(".py")
            stem = last[:-3] if is_module else last
            dotted = ".".join([*head[:-1], stem])
            new = self.moves.get(dotted)
            if new is None:
                continue
            if is_module and last == "__init__.py":
                continue  # an __init__.py follows its package's row
            new_head = new.replace(".", "/") + (".py" if is_module else "")
            return "/".join([new_head, *parts[i:]])
        return rel


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RelayoutError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def tracked(root: Path) -> list[str]:
    return [p for p in git("ls-files", "-z", cwd=root).split("\0") if p]


# ---------------------------------------------------------------- move


def plan_moves(table: Table, files: Iterable[str]) -> list[tuple[str, str]]:
    """(old path, new path) of every tracked file under sfenv/ that moves; refuses two files
    landing on one path, or a file landing on a tracked file that stays."""
    files = list(files)
    present = set(files)
    moves: dict[str, str] = {}
    for rel in files:
        if not rel.startswith("sfenv/"):
            continue
        new = table.path(rel)
        if new != rel:
            moves[rel] = new
    landed: dict[str, str] = {}
    for old, new in sorted(moves.items()):
        if new in landed:
            raise RelayoutError(f"{old} and {landed[new]} would both move to {new}")
        if new in present and new not in moves:
            raise RelayoutError(f"{old} would move onto {new}, which exists and stays")
        landed[new] = old
    return sorted(moves.items())


def package_dirs(table: Table, paths: Iterable[str]) -> set[str]:
    """Every folder under sfenv/ that holds a .py file: each must be a package."""
    dirs = set()
    for rel in paths:
        if rel.endswith(".py") and rel.startswith("sfenv/") \
                and not rel.startswith(SKIP_PREFIXES):
            parent = rel.rsplit("/", 1)[0]
            while parent and parent != ".":
                dirs.add(parent)
                parent = parent.rsplit("/", 1)[0] if "/" in parent else ""
    return dirs


def move(root: Path, table: Table, *, check: bool) -> list[str]:
    """git mv by the table, and an `__init__.py` in every folder the move creates. Everything
    is planned (and refused) before the first file moves, so a refusal leaves the tree as it
    was."""
    files = tracked(root)
    moves = plan_moves(table, files)
    after = [table.path(f) if f.startswith("sfenv/") else f for f in files]
    before_dirs = package_dirs(table, files)
    inits: list[tuple[str, str]] = []
    for folder in sorted(package_dirs(table, after) - before_dirs):
        init = f"{folder}/__init__.py"
        if init not in after:
            dotted = folder.replace("/", ".")
            # a folder that had no __init__.py and moved: say so rather than refuse
            doc = NEW_PACKAGES.get(dotted) or f"{dotted}: moved by tools/relayout.py."
            inits.append((init, doc))
    done: list[str] = [f"move {old} -> {new}" for old, new in moves]
    done += [f"create {init}" for init, _ in inits]
    if check:
        return done
    for old, new in moves:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        git("mv", old, new, cwd=root)
    for init, doc in inits:
        (root / init).write_text(f'"""{doc}"""\n', encoding="utf-8")
        git("add", init, cwd=root)
    for folder in sorted({str(Path(old).parent) for old, _ in moves}):
        _prune_empty(root / folder)
    return done


def _prune_empty(folder: Path) -> None:
    """Remove folders the move emptied (caches of the old modules included)."""
    while folder.is_dir() and folder.name != "sfenv":
        rest = [p for p in folder.iterdir() if p.name != "__pycache__"]
        if rest:
            return
        for cache in folder.glob("__pycache__"):
            for f in cache.iterdir():
                f.unlink()
            cache.rmdir()
        folder.rmdir()
        folder = folder.parent


# ---------------------------------------------------------------- rewrite

DOTTED = re.compile(r"(?<![\w.])sfenv(?:\.[A-Za-z_]\w*)+(?![\w/])")  # not "sfenv.diff/1"
FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<pkg>sfenv(?:\.\w+)*)[ \t]+import[ \t]+"
    r"(?P<names>\([^)]*\)|[^\n#]*?)(?P<tail>[ \t]*(?:#[^\n]*)?)$", re.M)
PATH = re.compile(r"(?<![\w./-])sfenv(?:/[\w.-]+)+")
SEGMENTS = re.compile(r'"sfenv"((?:\s*/\s*"[\w.-]+")+)')
PACKAGES = re.compile(r"(?ms)^packages = \[\n.*?^\]\n")


def _import_names(names: str) -> list[tuple[str, str | None]]:
    body = re.sub(r"#[^\n]*", "", names).strip()
    if body.startswith("("):
        body = body[1:-1]
    out: list[tuple[str, str | None]] = []
    for item in body.replace("\n", " ").split(","):
        words = item.split()
        if not words:
            continue
        if len(words) == 3 and words[1] == "as":
            out.append((words[0], words[2]))
        else:
            out.append((words[0], None))
    return out


def rewrite_from_imports(text: str, table: Table, modules: set[str],
                         reexports: Mapping[tuple[str, str], str] | None = None) -> str:
    """`from OLD import a, b`: a name that is a module goes where that module went; a name a
    package's `__init__.py` re-exports from a module that left the package is imported from
    that module; other names go with the package. One statement becomes several when they
    part."""
    reexports = reexports or {}

    def fix(m: re.Match[str]) -> str:
        pkg, new_pkg = m["pkg"], table.dotted(m["pkg"])
        groups: dict[str, list[str]] = {}
        parted = False  # a module name moved apart from its package, or was renamed
        for name, alias in _import_names(m["names"]):
            home = reexports.get((new_pkg, name))
            if f"{pkg}.{name}" in modules:
                new = table.dotted(f"{pkg}.{name}")
                parent, _, last = new.rpartition(".")
                parted = parted or parent != new_pkg or last != name
                alias = alias or (name if last != name else None)
                groups.setdefault(parent, []).append(last + (f" as {alias}" if alias else ""))
            elif home is not None and not home.startswith(new_pkg + "."):
                parted = True
                groups.setdefault(home, []).append(name + (f" as {alias}" if alias else ""))
            else:
                groups.setdefault(new_pkg, []).append(name + (f" as {alias}" if alias else ""))
        if not parted:  # the whole statement follows its package: keep its layout
            return m[0] if new_pkg == pkg else m[0].replace(pkg, new_pkg, 1)
        indent = m["indent"]
        lines = []
        for parent in sorted(groups):
            names = groups[parent]
            one = f"{indent}from {parent} import {', '.join(names)}"
            if len(one) > 99:
                one = f"{indent}from {parent} import (\n" + "".join(
                    f"{indent}    {n},\n" for n in names) + f"{indent})"
            lines.append(one)
        lines[0] += m["tail"]
        return "\n".join(lines)

    return FROM_IMPORT.sub(fix, text)


def rewrite_text(text: str, table: Table, modules: set[str],
                 reexports: Mapping[tuple[str, str], str] | None = None) -> str:
    text = rewrite_from_imports(text, table, modules, reexports)
    text = DOTTED.sub(lambda m: table.dotted(m[0]), text)
    text = PATH.sub(lambda m: table.path(m[0]), text)

    def segments(m: re.Match[str]) -> str:
        parts = re.findall(r'"([\w.-]+)"', m[1])
        new = table.path("/".join(["sfenv", *parts])).split("/")
        if new == ["sfenv", *parts]:
            return m[0]
        return " / ".join(f'"{p}"' for p in new)

    return SEGMENTS.sub(segments, text)


def old_modules(table: Table, files: Iterable[str]) -> set[str]:
    """Dotted names of every module and package, before and after the move: a `from X import
    y` names a module when X.y is one of them."""
    names: set[str] = set(table.moves) | set(table.moves.values())
    for rel in files:
        if rel.endswith(".py") and rel.startswith("sfenv/"):
            dotted = rel[:-3].replace("/", ".")
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            names.add(dotted)
            names.add(table.dotted(dotted))
    return names


def packages_block(files: Iterable[str]) -> str:
    """pyproject's package list: every folder under sfenv/ with an __init__.py, plus the two
    data folders installed as packages."""
    pkgs = sorted(f[: -len("/__init__.py")].replace("/", ".") for f in files
                  if f.startswith("sfenv/") and f.endswith("/__init__.py")
                  and not f.startswith(SKIP_PREFIXES))
    pkgs = ["sfenv", *[p for p in pkgs if p != "sfenv"], "sfenv.manifests", "sfenv.checklists"]
    lines, line = [], "   "
    for p in pkgs:
        item = f' "{p}",'
        if len(line) + len(item) > 99:
            lines.append(line)
            line = "   "
        line += item
    lines.append(line)
    return "packages = [\n" + "\n".join(lines) + "\n]\n"


def wanted(rel: str, *, docs: bool) -> bool:
    """Files whose references are rewritten: code, tests, tools, pyproject; with `docs`, the
    README and the top-level docs too (not docs/ARCHITECTURE.md, whose table names the old
    modules on purpose, nor the session records under docs/*/)."""
    if rel in SELF or rel.startswith(SKIP_PREFIXES):
        return False
    if rel in ("pyproject.toml", ".importlinter"):
        return True
    if docs and (rel == "README.md" or (rel.startswith("docs/") and rel.count("/") == 1
                                        and rel.endswith(".md")
                                        and rel != "docs/ARCHITECTURE.md")):
        return True
    return rel.startswith(REWRITE_DIRS) and rel.endswith(REWRITE_SUFFIXES)


def package_reexports(root: Path, table: Table,
                      files: Iterable[str]) -> dict[tuple[str, str], str]:
    """(package, name) -> the module (new name) a package's `__init__.py` imports `name`
    from, for every `from sfenv.x import name` in an `__init__.py` under sfenv/."""
    out: dict[tuple[str, str], str] = {}
    for rel in files:
        if not (rel.startswith("sfenv/") and rel.endswith("/__init__.py")) \
                or rel.startswith(SKIP_PREFIXES) or not (root / rel).is_file():
            continue
        package = table.dotted(rel[: -len("/__init__.py")].replace("/", "."))
        tree = ast.parse((root / rel).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.startswith("sfenv."):
                for alias in node.names:
                    if alias.asname in (None, alias.name):  # a renamed one stays with the package
                        out[(package, alias.name)] = table.dotted(node.module)
    return out


def rewrite(root: Path, table: Table, *, check: bool, docs: bool = False) -> list[str]:
    files = tracked(root)
    modules = old_modules(table, files)
    reexports = package_reexports(root, table, files)
    changed: list[str] = []
    for rel in files:
        if not wanted(rel, docs=docs):
            continue
        path = root / rel
        if not path.is_file():
            continue
        old = path.read_text(encoding="utf-8")
        new = rewrite_text(old, table, modules, reexports)
        if rel == "pyproject.toml":
            new = PACKAGES.sub(lambda _m: packages_block(files), new, count=1)
        if new != old:
            changed.append(f"rewrite {rel}")
            if not check:
                path.write_text(new, encoding="utf-8")
    if not check:
        sort_imports(root, [c.split(" ", 1)[1] for c in changed if c.endswith(".py")])
    return changed


def sort_imports(root: Path, files: list[str]) -> None:
    """Renamed imports sorted again as the project's linter wants them (ruff's isort rule)."""
    if not files:
        return
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "I", "--fix",
                           "--quiet", "--exit-zero", *files], cwd=root, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RelayoutError(f"ruff (import sorting): {done.stderr.strip() or done.stdout.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--move", action="store_true", help="git mv the modules only")
    parser.add_argument("--rewrite", action="store_true", help="rewrite references only")
    parser.add_argument("--docs", action="store_true",
                        help="also rewrite README.md and docs/*.md (not ARCHITECTURE.md)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; list what would change; exit 1 if anything")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository (default: this one)")
    args = parser.parse_args(argv)
    both = not args.move and not args.rewrite
    try:
        table = Table.of(MOVES)
        done: list[str] = []
        if args.move or both:
            done += move(args.root, table, check=args.check)
        if args.rewrite or both:
            done += rewrite(args.root, table, check=args.check, docs=args.docs)
    except RelayoutError as err:
        print(f"relayout: {err}", file=sys.stderr)
        return 2
    for line in done:
        print(line)
    print(f"relayout: {len(done)} change(s)" + (" needed" if args.check else ""))
    return 1 if args.check and done else 0


if __name__ == "__main__":
    sys.exit(main())
