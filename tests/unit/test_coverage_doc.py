from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_coverage_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts/gen_emulator_coverage.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (ROOT / "docs/EMULATOR_COVERAGE.md").read_text(encoding="utf-8")
    assert committed == gen.render(), "run: python scripts/gen_emulator_coverage.py"
