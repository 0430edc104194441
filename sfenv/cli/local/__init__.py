"""The commands that start local orgs (`sfenv demo`, `sfenv localorg`): the only product code that imports sfenv.localorg."""
