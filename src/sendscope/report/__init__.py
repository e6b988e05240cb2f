"""Report renderers: pure functions from an AuditResult to text, one module per format.

``RENDERERS`` maps each file format's name (as in ``--csv``, ``--html`` …) to its renderer;
``table`` is the terminal report. Renderers read only ``sendscope.policy.findings`` and rich:
no clients, no HTTP, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..policy.findings import AuditResult
from . import csv, html, json, markdown, sarif, table

__all__ = ["RENDERERS", "csv", "html", "json", "markdown", "sarif", "table"]

Renderer = Callable[[AuditResult], str]

RENDERERS: Mapping[str, Renderer] = {
    "json": json.render,
    "csv": csv.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
    "html": html.render,
}
