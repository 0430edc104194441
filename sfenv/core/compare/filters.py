"""Which changes a user wants to see: `--type`, `--name` globs and `.sfenvignore`.

`.sfenvignore` (in the metadata repository's root) is gitignore-like, on `Type:Name` ids:
one glob a line (`*` also matches `.` and `/`), `#` comments, `!pattern` re-includes, the last
matching line wins. A pattern that matches a parent also hides its children
(`CustomObject:Legacy__c` hides `CustomField:Legacy__c.*`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from sfenv.core.compare.model import Change
from sfenv.core.metadata.ids import ComponentId

IGNORE_FILE = ".sfenvignore"


@dataclass(frozen=True)
class IgnoreRules:
    rules: tuple[tuple[str, bool], ...] = ()  # (pattern, negated)

    @classmethod
    def parse(cls, text: str) -> IgnoreRules:
        rules = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            rules.append((line[1:].strip() if negated else line, negated))
        return cls(tuple(rules))

    @classmethod
    def load(cls, root: Path) -> IgnoreRules:
        path = Path(root) / IGNORE_FILE
        return cls.parse(path.read_text(encoding="utf-8")) if path.is_file() else cls()

    def verdict(self, cid: ComponentId) -> bool | None:
        """True ignored, False re-included, None when no line matches."""
        text = str(cid)
        verdict = None
        for pattern, negated in self.rules:
            if fnmatchcase(text, pattern):
                verdict = not negated
        return verdict

    def ignored(self, cid: ComponentId, parent: ComponentId | None = None) -> bool:
        """The component's own verdict, else its parent's (so `!` can re-include a child)."""
        own = self.verdict(cid)
        if own is None and parent is not None:
            own = self.verdict(parent)
        return bool(own)


@dataclass(frozen=True)
class ComponentFilter:
    types: tuple[str, ...] = ()  # a change passes when its type or its parent's type is listed
    names: tuple[str, ...] = ()  # globs on the full name (or the parent's)
    ignore: IgnoreRules = IgnoreRules()

    @classmethod
    def build(cls, types: Sequence[str] = (), names: Sequence[str] = (),
              root: Path | None = None) -> ComponentFilter:
        return cls(tuple(types), tuple(names),
                   IgnoreRules.load(root) if root is not None else IgnoreRules())

    def keep(self, change: Change) -> bool:
        ids = [change.component] + ([change.parent] if change.parent else [])
        if self.types and not any(i.type in self.types for i in ids):
            return False
        if self.names and not any(fnmatchcase(i.full_name, g) for i in ids for g in self.names):
            return False
        return not self.ignore.ignored(change.component, change.parent)

    def apply(self, changes: Iterable[Change]) -> list[Change]:
        return [c for c in changes if self.keep(c)]
