"""CPU runtime setting that makes large-volume training much cheaper on VMs: keep freed memory.

glibc returns every allocation above 32 MB to the kernel when it is freed (mmap/munmap), so each
new 134 MB activation of a 16 x 128^3 network page-faults in again; on the VMs x2ct is developed
on this costs 3-6 s of kernel time per paper-size training step. ``keep_freed_memory()`` asks
glibc to serve every allocation from its heap and never give it back: after the first step the
same memory is reused without faults. The process's resident size then stays at its peak.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Switch glibc malloc to heap-only, never-trimmed allocation; False where unavailable.

    Affects allocations made after the call. Safe to call more than once. Not glibc (macOS,
    Windows, musl): does nothing and returns False.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    no_mmap = mallopt(M_MMAP_MAX, 0)
    no_trim = mallopt(M_TRIM_THRESHOLD, -1)  # -1 disables trimming
    return bool(no_mmap and no_trim)
