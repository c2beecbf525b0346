"""Writes of the tracker, one file per domain: filing (bugs, comments, attachments), triage
(workflow moves, field edits, duplicates, dependencies, bulk edit), saved searches.
Every function is atomic, keyword-only and records each field it changes as a BugChange."""
