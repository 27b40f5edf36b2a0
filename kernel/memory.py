"""A process's memory: start-up's objects set aside from the collector, and memory handed back after a bulk job.

Once a process is ready (`settle_after_start`, from `startup.ready`; not under pytest, where many apps share one
process), what start-up built is frozen: CPython's full collections went over every one of those objects again
(most of a process's: 130,000 to 180,000), 0.1 to 0.25 s each, every request in flight waiting. Frozen objects are
never collected, which is right for what lives as long as the process.

After a one-off bulk job: CPython frees the objects of a 10,000-row import as soon as the request ends, but the
allocator keeps the pages for later: the process stays at its peak size. After such a job, a full collection and
glibc's `malloc_trim` give the free pages back, so the resident size returns near its resting level (issue 14:
under 150 MB).
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


def settle_after_start() -> None:
    """Takes what start-up built (modules, routes, templates, settings: most of a process's objects) out of the
    cyclic collector's way. They live as long as the process; left in the oldest generation, every full collection
    went over them all again (see the module's note)."""
    gc.collect()
    gc.freeze()
