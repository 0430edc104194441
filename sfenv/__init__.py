"""sfenv: Salesforce environments as git snapshots, compared along a promotion path and
promoted in release trains with backups, rollbacks and computed manual-step checklists."""

__version__ = "0.1.0"
