"""The one error of a sweep that is not the user's: the environment stopped it.

User errors (bad files, flags, folders) are :class:`~scalinglab.exceptions.ConfigError`
(exit code 2). :class:`SweepStopped` is everything else that ends a run early — a full disk,
a lost scheduler or cluster, Ctrl-C or SIGTERM, a lock taken over — with one line that says
how many tasks are saved and how to resume, and the exit code the CLI uses (1 for
environment failures, 130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

__all__ = ["ClusterLost", "SweepStopped"]


class SweepStopped(RuntimeError):
    """A run ended early by its environment; ``str(err)`` is one line, ``exit_code`` the code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ClusterLost(RuntimeError):
    """The scheduler or cluster went away (or never started): not a failure of any task."""
