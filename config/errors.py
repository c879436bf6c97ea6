"""The one kind of error that names where bad input is, so every command can print one line and exit 2.

It lives in `config`, the layer everyone may import: definitions are checked here, the record's
importers raise its `transcripts.errors.RecordError` subclass, and the CLI catches this base.
"""

from __future__ import annotations


class InputError(Exception):
    """Input that cannot be accepted. `where` is a file, file:line or a field path."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
