"""Orchestration: pull, train, promote, records, report. Return data, never print."""
