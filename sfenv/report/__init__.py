"""The HTML report of the whole promotion path, in three steps with one module each:

- `collect.py` reads the config and the snapshot store into a `ReportData` (never renders);
- `sfxml.py` holds the small extractors collecting needs from metadata files (a role's
  parent, an object's org-wide defaults);
- `render.py` defines `ReportData` and turns it into one self-contained HTML file
  (`templates/`), reading nothing else.
"""
