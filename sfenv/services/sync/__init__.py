"""Sharing one metadata repository between jobs: `sfenv sync` (see `service`)."""
