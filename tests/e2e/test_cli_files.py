"""Where sendscope keeps its files, and its standard output, going wrong: a folder it cannot
write, a corrupt sign-in cache, a reader that leaves early. One sentence and a documented
exit code each, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sendscope.auth.admin_tokens import DelegatedTokenSource, LoginCache, LoginRecord
from sendscope.clouds import cloud_named
from sendscope.errors import UsageError

from .admin_helpers import run_admin
from .connect_helpers import Network, clean_env, no_network, run_cli

__all__ = ["clean_env", "no_network"]  # fixtures, imported for pytest

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_profiles_in_a_folder_that_cannot_be_made(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SENDSCOPE_CONFIG_DIR", str(blocker / "sendscope"))
    outcome = run_cli(monkeypatch, ["profile", "add", "prod", "--tenant", TENANT])
    assert outcome.code == 2
    assert _one_line(outcome.stderr).startswith(
        f"error: cannot save profiles to {blocker / 'sendscope' / 'profiles.json'} ("
    )
    assert "set SENDSCOPE_CONFIG_DIR to a folder you can write" in _one_line(outcome.stderr)


def test_login_checks_its_cache_folder_before_signing_in(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {"SENDSCOPE_DATA_DIR": str(blocker / "data")}
    outcome = run_admin(monkeypatch, ["login", "--tenant", TENANT], env)
    assert outcome.code == 2
    assert "error: cannot keep the sign-in cache in" in _one_line(outcome.stderr)
    assert no_network.attempts == []  # no device code was asked for


def test_login_checks_a_folder_that_exists_but_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setattr(
        "sendscope.auth.admin_tokens._can_write_in",
        lambda folder: (_ for _ in ()).throw(PermissionError(13, "Permission denied")),
    )  # as a read-only folder answers a non-root user
    outcome = run_admin(
        monkeypatch, ["login", "--tenant", TENANT], {"SENDSCOPE_DATA_DIR": str(data)}
    )
    assert outcome.code == 2
    assert f"error: cannot keep the sign-in cache in {data} (Permission denied)" in _one_line(
        outcome.stderr
    )
    assert no_network.attempts == []


def test_login_refuses_an_empty_client_id(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network
) -> None:
    outcome = run_admin(monkeypatch, ["login", "--tenant", TENANT, "--client-id", ""])
    assert outcome.code == 2
    assert "error: --client-id is empty: give a value, or leave it out" in _one_line(outcome.stderr)


def test_logout_when_the_cache_is_a_folder(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    (data / "login.json").mkdir(parents=True)
    outcome = run_admin(monkeypatch, ["logout"], {"SENDSCOPE_DATA_DIR": str(data)})
    assert outcome.code == 2
    assert "error: cannot delete the sign-in cache" in _one_line(outcome.stderr)


@pytest.mark.parametrize("inner", ["{bad", "[]", "123", "null"])
def test_a_cache_whose_msal_part_is_corrupt_is_unreadable(tmp_path: Path, inner: str) -> None:
    cache = LoginCache(tmp_path / "login.json")
    record = LoginRecord("https://login.microsoftonline.com", TENANT, TENANT, "a@b", inner)
    with pytest.raises(UsageError, match="is unreadable: run `sendscope logout`"):
        DelegatedTokenSource(cloud_named("global"), record, None, cache)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "list", "--json"],  # written by click
        ["profile", "list"],  # written by rich
        ["connect", "--emulator", "NOT-A-DIR"],  # an error: its code, not 141
    ],
)
def test_a_reader_that_leaves_early_gets_141_and_no_traceback(
    clean_env: Path, args: list[str]
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sendscope", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SENDSCOPE_CONFIG_DIR": str(clean_env)},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    if args[0] == "connect":
        assert done.returncode == 2 and "error: " in done.stderr
        return
    assert done.returncode == 141
    assert done.stderr == ""


def test_a_secret_pasted_as_client_id_is_not_repeated(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network
) -> None:
    secret = "Abc8Q~" + "x1Y2z3-_.~" * 3 + "abcd"  # Entra's shape, 40 characters
    for args in (
        ["profile", "add", "prod", "--tenant", TENANT, "--client-id", secret],
        ["connect", "--tenant", TENANT, "--client-id", secret],
    ):
        outcome = run_cli(monkeypatch, args)
        assert outcome.code == 2, outcome
        said = _one_line(outcome.stderr)
        assert "--client-id holds what looks like a client secret, not a client ID" in said
        assert "SENDSCOPE_CLIENT_SECRET, --client-secret-file or the prompt" in said
        assert secret[:20] not in outcome.stderr + outcome.stdout  # not even in part
    cut_short = run_cli(monkeypatch, ["connect", "--tenant", TENANT, "--client-id", secret[:24]])
    assert secret[:20] not in cut_short.stderr and cut_short.code == 2
    assert no_network.attempts == []


def test_a_secret_pasted_as_admin_client_id_points_at_the_admin_secret_options(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network
) -> None:
    secret = "Abc8Q~" + "x1Y2z3-_.~" * 3 + "abcd"
    args = ["policies", "list", "--tenant", TENANT, "--admin-client-id", secret]
    outcome = run_admin(monkeypatch, args)
    assert outcome.code == 2
    said = _one_line(outcome.stderr)
    assert "SENDSCOPE_ADMIN_CLIENT_SECRET, --admin-client-secret-file or the prompt" in said
    assert secret[:20] not in outcome.stderr


def test_a_certificate_that_is_a_folder_is_called_one(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, tmp_path: Path
) -> None:
    args = ["profile", "add", "prod", "--tenant", TENANT, "--certificate", str(tmp_path)]
    outcome = run_cli(monkeypatch, args)
    assert outcome.code == 2
    assert f"--certificate {tmp_path}: is a folder, not a file" in _one_line(outcome.stderr)
