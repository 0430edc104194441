"""Names an org's reply may hold that no Salesforce API name can be.

API names are at most 80 characters (a few types allow 255), one per `/`-separated level
(`Folder/Report`, `Object.Field`). A reply naming a component of 4,090 characters, or one with
control characters, backslashes or `.`/`..` levels, is not an org's metadata: storing it gave
a snapshot that `export` could not write (`File name too long`) and a path a writer could be
led out of its folder by. The pull refuses such a reply with one line, before anything is
stored (exit 3: the org's answer is wrong, not the user's input).
"""

from __future__ import annotations

from sfenv.errors import OrgError

MAX_LEVEL_BYTES = 240  # a file name is at most 255 bytes; leave room for the type's suffix
SHOWN = 60  # characters of a refused name shown in the message


def name_problem(full_name: str) -> str | None:
    """Why `full_name` cannot be a Salesforce API name, or None."""
    if not full_name or not full_name.strip():
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in full_name):
        return "control characters"
    if "\\" in full_name:
        return "a backslash"
    for level in full_name.split("/"):
        if level in ("", ".", ".."):
            return f"a {level or 'empty'!r} level" if level else "an empty level"
        if len(level.encode("utf-8")) > MAX_LEVEL_BYTES:
            return f"{len(full_name):,} characters, longer than any API name"
    return None


def shown(full_name: str) -> str:
    """The name for a one-line message: cut, with its length, when long; escapes visible."""
    text = full_name if len(full_name) <= SHOWN else f"{full_name[:SHOWN]}…"
    return text.encode("unicode_escape").decode("ascii", "replace")


def refuse_bad_name(type_name: str, full_name: str, where: str) -> None:
    """OrgError (exit 3) naming the component when its name cannot be an API name."""
    problem = name_problem(full_name)
    if problem:
        raise OrgError(f"the org's {where} names {type_name}:{shown(full_name)} ({problem}): "
                       "no Salesforce API name has it; the pull stopped before storing it, "
                       "the ref is unmoved")


def refuse_bad_path(path: str, type_name: str, full_name: str) -> None:
    """As `refuse_bad_name` for a retrieved file, whose other levels must fit a file name."""
    refuse_bad_name(type_name, full_name, f"retrieve ({shown(path)})")
    if any(len(level.encode("utf-8")) > 255 for level in path.split("/")):
        raise OrgError(f"the org's retrieve holds a file name longer than 255 bytes "
                       f"({shown(path)}); the pull stopped before storing it, the ref is unmoved")
