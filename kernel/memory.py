"""Memory a process no longer uses, handed back to the system after a one-off bulk job.

CPython frees the objects of a 10,000-row import as soon as the request ends, but the allocator keeps the pages
for later: the process stays at its peak size. After such a job, a full collection and glibc's `malloc_trim`
give the free pages back, so the resident size returns near its resting level (issue 14: under 150 MB).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

_libc_name = ctypes.util.find_library("c")
_libc = ctypes.CDLL(_libc_name) if _libc_name else None
_trim = getattr(_libc, "malloc_trim", None)  # glibc only (not musl, not macOS): elsewhere only the collection


def give_back() -> None:
    """Collects what is garbage and returns the allocator's free pages to the system (a few ms)."""
    gc.collect()
    if _trim is not None:
        _trim(0)
