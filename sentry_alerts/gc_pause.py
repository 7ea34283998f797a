"""Pausing Python's cyclic garbage collector while a burst of long-lived objects is built.

Loading a 10,000-transaction policy or listing 10,000 alerts creates hundreds of thousands of
dicts, lists and objects that all stay alive until the command ends. Each time enough of them
have been allocated, the cyclic collector walks every tracked object again, finds nothing to
free (they hold no reference cycles; reference counting frees them) and costs a fifth or more of
the time, growing with the input (issue 11). Paused for the burst, it resumes normally after.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # nested or concurrent pauses in progress
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside (nested and concurrent uses are fine); the collector's state
    from before the first pause is restored when the last one ends."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


__all__ = ["paused_gc"]
