"""Errors that name where bad input to the record is, so the CLI can print one useful line and exit non-zero."""

from __future__ import annotations

from config.errors import InputError


class RecordError(InputError):
    """Input the record cannot accept. `where` is a file, file:line or a field path."""
