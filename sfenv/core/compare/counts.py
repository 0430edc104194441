"""The glossary of counts: each number sfenv prints about a train or a snapshot is one of these,
defined once, said in the same words by plan, build, `release status`/`list`, the report and
the changelog (issue 26: one train used to show four different "components" counts).

- **change**: one component or child element (a field, a validation rule, a permission
  entry) the train adds, changes or deletes; counted as "N to add, N to change, N to delete"
  before a deploy and "N added, N changed, N deleted" after. Children count one each.
- **manual change**: a change held back from the package for a person to make (a type
  sfenv.yml keeps manual, or a permission entry a deploy cannot revoke): "N manual".
- **package member**: one line of package.xml plus destructiveChanges (a permission set
  deployed whole is one member however many of its entries changed): "N package members,
  of which N deletions".
- **deletion**: a package member listed in destructiveChanges.
- **component** (of a snapshot): a top-level component an org holds (fields and other
  children are inside their object); what `sfenv pull` and `sfenv log` count.
- **step**: one item of a checklist; "N open steps" are the ones not ticked.
"""

from __future__ import annotations

GLOSSARY = {
    "change": "a component or child element the train adds, changes or deletes",
    "manual change": "a change held back from the package for a person to make",
    "package member": "a line of package.xml or destructiveChanges",
    "deletion": "a package member listed in destructiveChanges",
    "component": "a top-level component of a snapshot (children are inside it)",
    "step": "one item of a checklist",
}

_PLURALS = {"entry": "entries", "change": "changes", "manual change": "manual changes",
            "package member": "package members", "deletion": "deletions",
            "component": "components", "step": "steps", "open step": "open steps",
            "file": "files", "byte": "bytes", "difference": "differences"}


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 deletion", "2 deletions": never "1 deletions"."""
    return f"{n} {noun if n == 1 else plural or _PLURALS.get(noun) or noun + 's'}"


def planned(adds: int, changes: int, deletes: int, manual: int) -> str:
    """The changes of a train before it is deployed: "6 to add, 2 to change, 1 to delete,
    3 manual"."""
    return f"{adds} to add, {changes} to change, {deletes} to delete, {manual} manual"


def done(adds: int, changes: int, deletes: int, manual: int = 0) -> str:
    """The changes of a train once recorded: "6 added, 2 changed, 1 deleted, 3 manual"."""
    text = f"{adds} added, {changes} changed, {deletes} deleted"
    return text + (f", {manual} manual" if manual else "")


def package(members: int, deletions: int) -> str:
    """"7 package members, of which 1 deletion"."""
    return (counted(members, "package member")
            + (f", of which {counted(deletions, 'deletion')}" if deletions else ""))
