"""Manual steps of a promotion, computed from the changes, the team's manual types and the
setup audit trail by the rules in `checklists/` (package `sfenv.checklists`). The ticks kept on
disk are a record (`sfenv.services.records.checklist_done`), not part of this pure package's interface."""

from sfenv.core.checklist.catalogue import Catalogue, Rule, load_catalogue
from sfenv.core.checklist.engine import build_checklist
from sfenv.core.checklist.model import ChecklistContext, Step
from sfenv.core.checklist.roles import TreeNode, role_tree

__all__ = [
    "Catalogue", "ChecklistContext", "Rule", "Step", "TreeNode", "build_checklist",
    "load_catalogue", "role_tree",
]
