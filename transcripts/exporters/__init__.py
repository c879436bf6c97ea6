"""Writing the record back out: Markdown for people, CSV for spreadsheets, JSON for other programs.

Each exporter takes an `EventSnapshot` and the question each message sits under (computed by the
analysis, passed in as plain data so this package never imports it) and writes atomically: a
temporary file renamed into place, so a failure never leaves half a file where a whole one was.
"""
