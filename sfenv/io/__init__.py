"""The outside world: the org (HTTP), the snapshot store (git), sfdx sources."""
