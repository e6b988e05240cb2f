"""``sendscope audit``'s output plumbing: which reports go where (checked before the tenant
is read), atomic writes, and the progress callback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from sendscope.cli import audit
from sendscope.cli.progress import Counter
from sendscope.errors import UsageError


def test_outputs_go_to_files_and_at_most_one_to_stdout(tmp_path: Path) -> None:
    wanted = {"json": "-", "csv": str(tmp_path / "f.csv"), "html": None}
    outputs = audit.plan_outputs(wanted, None)
    assert outputs == [audit.Output("json", None), audit.Output("csv", tmp_path / "f.csv")]
    with pytest.raises(UsageError) as caught:
        audit.plan_outputs({"csv": "-", "markdown": "-"}, None)
    assert caught.value.message == (
        "Only one report can go to standard output, but --csv - and --markdown - both ask "
        "for it; give all but one a file path."
    )


def test_a_directory_or_a_shared_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        audit.plan_outputs({"html": str(tmp_path)}, None)
    assert caught.value.message == f"Cannot write the report to {tmp_path}: it is a directory."
    with pytest.raises(UsageError) as caught:
        audit.plan_outputs({"sarif": str(tmp_path / "x")}, tmp_path / "x")
    assert caught.value.message == (
        f"Two reports would be written to {tmp_path / 'x'}; give each its own file."
    )


def test_writes_replace_the_whole_file_and_leave_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old", "utf-8")
    audit.write_atomically(target, "new ✓\r\n")
    assert target.read_bytes() == "new ✓\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old", "utf-8")
    with pytest.raises(UnicodeEncodeError):
        audit.write_atomically(target, "half \udc80 written")  # a lone surrogate cannot encode
    assert target.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_the_progress_callback_keeps_one_line_per_collection() -> None:
    console = Console(file=io.StringIO(), width=80)
    with Progress(console=console, auto_refresh=False) as display:
        counter = Counter(display, "Reading ")
        counter("servicePrincipals", 999)
        counter("mailboxes", 1000)
        counter("servicePrincipals", 1400)
        tasks = {t.description: t.completed for t in display.tasks}
    assert tasks == {"Reading servicePrincipals": 1400, "Reading mailboxes": 1000}


def test_a_report_onto_the_baseline_file_is_refused(tmp_path: Path) -> None:
    # Problem 5: --sarif bl.json --baseline bl.json silently replaced the baseline.
    baseline = tmp_path / "bl.json"
    for name in ("sarif", "csv", "html", "markdown"):
        with pytest.raises(UsageError) as caught:
            audit.plan_outputs({name: str(baseline)}, None, baseline=baseline)
        assert caught.value.exit_code == 2
        assert caught.value.message == (
            f"--{name} {baseline} would overwrite the baseline file {baseline}; write the "
            "report to another file."
        )
    # Rewriting the baseline itself stays allowed.
    assert audit.plan_outputs({"json": "-"}, baseline, baseline=baseline) == [
        audit.Output("json", None)
    ]


def test_write_baseline_to_standard_output_is_refused(tmp_path: Path) -> None:
    # Problem 12: "--write-baseline -" wrote a file literally named "-".
    with pytest.raises(UsageError) as caught:
        audit.plan_outputs({}, Path("-"))
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "--write-baseline needs a file path, not -: a baseline is a file kept with the audit "
        "(e.g. --write-baseline audit-baseline.json)."
    )
