"""How the C allocator (glibc's malloc) hands memory back to the system.

Request bodies and the strings parsed out of them are single allocations of up to a few MiB. glibc
serves an allocation above its mmap threshold (128 KiB at first) with its own mapping, returned to
the system when freed, but raises the threshold to the size of each such block freed: after the first
large bodies, large blocks come from the heap, where freed ones stay reserved and get split. A fixed
threshold keeps them mapped and returned, for one mmap and one munmap per block over 128 KiB, which
the hot operations' requests never reach.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt(3)'s parameter number, and the threshold glibc starts from.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def return_large_blocks() -> bool:
    """Fix glibc's mmap threshold (see above); False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    return bool(mallopt and mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
