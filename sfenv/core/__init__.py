"""Pure core: metadata types, comparing, checklists. No I/O beyond package data."""
