"""Manual steps of a promotion, computed from the changes, the team's manual types and the
setup audit trail by the rules in `checklists/` (package `sfenv.checklists`)."""

from sfenv.checklist.catalogue import Catalogue, Rule, load_catalogue
from sfenv.checklist.engine import build_checklist
from sfenv.checklist.model import ChecklistContext, Step
from sfenv.checklist.roles import TreeNode, role_tree
from sfenv.checklist.state import done_steps, record_done

__all__ = [
    "Catalogue", "ChecklistContext", "Rule", "Step", "TreeNode", "build_checklist",
    "done_steps", "load_catalogue", "record_done", "role_tree",
]
