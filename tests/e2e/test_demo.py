"""``sendscope demo``: the whole procedure on the embedded emulator, through the real command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sendscope.cli import demo as demo_module
from sendscope.cli.app import app
from sendscope.cli.demo_steps import command_lines

pytestmark = pytest.mark.server

TOKEN_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No SENDSCOPE_* setting of the machine's, no login cache of the user's."""
    for name in [n for n in os.environ if n.startswith("SENDSCOPE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SENDSCOPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SENDSCOPE_CONFIG_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The emulator's emulator.json, caught as the demo reads it (the directory is gone after)."""
    caught: dict[str, Any] = {}
    real = demo_module._tenant

    def spy(emulator: Any, propagation: float) -> Any:
        caught.update(emulator.info)
        caught["dir"] = emulator.data_dir
        return real(emulator, propagation)

    monkeypatch.setattr(demo_module, "_tenant", spy)
    return caught


def _secrets(info: dict[str, Any]) -> list[str]:
    tenant = info["tenants"][0]
    return [tenant["admin"]["client_secret"], *(a["client_secret"] for a in tenant["apps"])]


def test_the_demo_locks_the_app_down_and_proves_it(isolated: Path, seen: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["demo"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.output
    for step in ("connect", "restrict", "test-policy", "verify", "summary"):
        assert f"· {step}" in out
    assert '"Timesheet Mailer" could send as 49 of 49 mailboxes; now 1 mailbox' in out
    assert "Graph enforced the policy after 60 minutes of emulator time" in out
    assert "Verdict: effective." in out
    assert "not effective yet" in out  # the wait for propagation is shown, not skipped
    assert all(secret not in out for secret in _secrets(seen))
    assert not TOKEN_SHAPE.search(out)
    assert not Path(seen["dir"]).exists()  # the temporary emulator is gone


def test_the_demo_reads_in_80_columns(isolated: Path, seen: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["demo"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    long = [line for line in result.output.splitlines() if len(line.rstrip()) > 80]
    assert long == []


def test_demo_json_is_one_document_with_every_step(isolated: Path, seen: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["schema_version"] == 1
    assert set(document["steps"]) == {"connect", "restrict", "test_policy", "verify"}
    summary = document["summary"]
    assert (summary["reach_before"], summary["reach_after"]) == (49, 1)
    assert summary["verify_outcome"] == "effective"
    assert summary["emulator_seconds_to_effective"] >= 3600
    verdicts = {r["address"]: r["server"] for r in document["steps"]["test_policy"]["results"]}
    assert verdicts == {
        "noreply@contoso.onmicrosoft.com": "Granted",
        "ceo@contoso.onmicrosoft.com": "Denied",
    }
    assert all(secret not in result.output for secret in _secrets(seen))


def test_the_installed_command_runs_the_demo(isolated: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENDSCOPE_")}
    env.update(SENDSCOPE_DATA_DIR=str(isolated), SENDSCOPE_CONFIG_DIR=str(isolated))
    done = subprocess.run(
        [sys.executable, "-m", "sendscope", "demo"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: effective." in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("command", "width", "expected"),
    [
        ("$ sendscope connect --emulator DIR", 80, ["$ sendscope connect --emulator DIR"]),
        (
            "$ sendscope restrict --app A --group 'Timesheet senders' --yes",
            30,
            ["$ sendscope restrict --app A \\", "    --group 'Timesheet senders' \\", "    --yes"],
        ),
        (
            "$ sendscope test-policy --app A one@x two@x",
            30,
            ["$ sendscope test-policy \\", "    --app A one@x two@x"],
        ),
    ],
)
def test_command_lines_break_between_arguments(
    command: str, width: int, expected: list[str]
) -> None:
    assert command_lines(command, width) == expected
