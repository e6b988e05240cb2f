"""Write docs/EMULATOR_COVERAGE.md from the emulator's route tables.

Run ``python scripts/gen_emulator_coverage.py``; tests/unit/test_coverage_doc.py fails when
the committed file is stale.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from starlette.routing import Route

from sendscope.emulator.app import all_routes

OUT = Path(__file__).resolve().parent.parent / "docs" / "EMULATOR_COVERAGE.md"

_SERVICES = {
    "control": "Control plane",
    "identity": "Entra ID (identity)",
    "graph": "Microsoft Graph",
    "exchange": "Exchange admin API",
}


def _service(route: Route) -> str:
    module = inspect.getmodule(route.endpoint)
    name = module.__name__ if module else ""
    for key, title in _SERVICES.items():
        if f".emulator.{key}." in name:
            return title
    return "Other"


def _summary(route: Route) -> str:
    doc = inspect.getdoc(route.endpoint) or ""
    return doc.splitlines()[0] if doc else ""


def render() -> str:
    rows: dict[str, list[str]] = {}
    for route in all_routes():
        if not isinstance(route, Route):
            continue
        methods = ", ".join(sorted((route.methods or set()) - {"HEAD"}))
        line = f"| `{methods}` | `{route.path}` | {_summary(route)} |"
        rows.setdefault(_service(route), []).append(line)
    parts = [
        "# Emulator coverage",
        "",
        "Generated from the emulator's route tables by `scripts/gen_emulator_coverage.py`;",
        "do not edit by hand. What each endpoint does and does not emulate: `docs/emulator.md`.",
        "",
    ]
    for service, lines in rows.items():
        parts += [
            f"## {service} ({len(lines)} routes)",
            "",
            "| method | path | what |",
            "|---|---|---|",
            *lines,
            "",
        ]
    return "\n".join(parts)


def main() -> int:
    OUT.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
