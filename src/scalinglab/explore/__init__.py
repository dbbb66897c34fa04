"""The interactive explorer: one self-contained HTML page that evaluates the theory itself.

The page carries a JavaScript port of the deterministic equivalent (``theory.js``, next to this
file) so that every slider move re-solves the theory in the browser, with no server and no
network. :func:`write_explorer` inlines the package's JavaScript and CSS and the user's results
into one file.
"""

from __future__ import annotations

from pathlib import Path

from .data import load_results
from .page import MAX_BYTES, render_explorer, write_explorer

__all__ = ["MAX_BYTES", "asset_path", "load_results", "render_explorer", "write_explorer"]

_ASSETS = Path(__file__).parent


def asset_path(name: str) -> Path:
    """Path of one of the page's source files shipped with the package (e.g. ``theory.js``)."""
    return _ASSETS / name
