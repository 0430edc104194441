"""The HTML report of the whole promotion path, in steps with one module each:

- `collect.py` reads the config and the snapshot store into a `ReportData` (never renders);
- `model.py` defines `ReportData` and the pure builders of its marks (role trees, OWD table);
- `sfxml.py` holds the small extractors collecting needs from metadata files (a role's
  parent, an object's org-wide defaults);
- `render.py` (a view) turns `ReportData` into one self-contained HTML file
  (`sfenv/views/templates/report/`) or its JSON, reading nothing else.
"""
