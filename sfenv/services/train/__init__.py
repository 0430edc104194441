"""Release trains: plan, build, package, delta and export."""
