"""Preload of the local Dask workers a sweep starts: they ignore Ctrl-C.

A terminal's Ctrl-C goes to the whole process group, workers included; the driver alone
handles it (it stops, reports what is saved and closes the cluster), so the workers do not
print tracebacks of their own.
"""

from __future__ import annotations

import signal


def dask_setup(worker) -> None:
    """Called by Dask in the worker process's main thread at start-up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
