"""Pausing Python's cyclic garbage collector around bulk work.

Importing or writing a large chat makes hundreds of thousands of acyclic objects (rows, cells,
strings); the cyclic collector rescans them all, for nothing, more often the bigger the chat.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off for the block, and back on after it if it was on before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
