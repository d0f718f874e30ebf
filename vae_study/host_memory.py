"""Keep freed host memory mapped for reuse, so that training steps stop page-faulting.

A training step of the study's conv VAE at batch 64 allocates and frees activations of up to
8 MB each. glibc's malloc serves such blocks with fresh ``mmap`` pages while they are above its
mmap threshold, returns them to the kernel on free, and trims the top of its heap once more than
its trim threshold is free. Every step then faults its activations in again: about 18,000 minor
page faults per step on our 2-core CPU, a quarter of the step's time, in a plain PyTorch loop as
much as under Lightning (measurements in docs/performance.md). Raising both thresholds with
``mallopt(3)`` keeps that memory in the process; the process keeps its peak footprint instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's largest M_MMAP_THRESHOLD on 64-bit systems
TRIM_THRESHOLD = 2**31 - 1  # the largest value mallopt's int argument takes


def retain_freed_memory() -> bool:
    """Make glibc keep freed blocks of up to 32 MB, and any free heap top below 2 GiB, for reuse.

    Process-wide and irreversible. Returns whether it took: False where the C library is not
    glibc (macOS, Windows, musl), which then keeps its own behaviour.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        log.info("no glibc mallopt in %s: host memory is released as the C library decides", name)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
