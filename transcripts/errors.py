"""Errors that name where bad input is, so the CLI can print one useful line and exit non-zero."""

from __future__ import annotations


class RecordError(Exception):
    """Input the record cannot accept. `where` is a file, file:line or a field path."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
