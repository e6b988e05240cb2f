"""``sendscope login`` / ``logout`` by device code against a real HTTPS emulator that
approves every code at once: the instructions, the 0600 cache, admin commands using it,
and never a token in what is printed."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sendscope.admin import AdminOptions, AdminSession, resolve_admin
from sendscope.auth.admin_tokens import LoginCache
from sendscope.emulator.core.state import EmulatorSettings
from sendscope.emulator.server import ThreadedEmulator

from .admin_helpers import run_admin, run_admin_process
from .connect_helpers import assert_no_secret

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(settings=EmulatorSettings(auto_approve_device_codes=True)) as server:
        yield server


def _secrets(emulator: ThreadedEmulator) -> list[str]:
    tenant = emulator.info["tenants"][0]
    return [a["client_secret"] for a in [*tenant["apps"], tenant["admin"]]]


def test_login_prints_the_code_keeps_a_0600_cache_and_logout_deletes_it(
    emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}
    outcome = run_admin_process(["login", "--emulator", str(emulator.data_dir)], env)
    assert outcome.code == 0, outcome.stderr
    tenant = emulator.info["tenants"][0]["id"]
    assert f"{emulator.url}/_emulator/devicelogin" in outcome.stderr
    assert "enter the code" in outcome.stderr
    assert f"Signed in as admin@contoso.onmicrosoft.com in tenant {tenant}." in outcome.stdout
    cache = tmp_path / "data" / "login.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    record = json.loads(cache.read_text())
    assert record["client_id"] == "fb78d390-0c51-40cd-8e17-fdbfab77341b"
    tokens = json.loads(record["msal_cache"])
    access = [t["secret"] for t in tokens["AccessToken"].values()]
    targets = " ".join(t["target"] for t in tokens["AccessToken"].values())
    assert "outlook.office365.com" in targets and "graph.microsoft.com" in targets
    assert_no_secret(outcome.output, _secrets(emulator))
    for value in access + [t["secret"] for t in tokens["RefreshToken"].values()]:
        assert value not in outcome.output

    logout = run_admin_process(["logout", "--json"], env)
    assert logout.code == 0, logout.stderr
    assert logout.json() == {"schema_version": 1, "removed": True, "cache": str(cache)}
    assert not cache.exists()
    again = run_admin_process(["logout"], env)
    assert again.stdout.strip() == "Not signed in: there was no token cache to delete."


def test_admin_commands_use_the_signed_in_user(
    monkeypatch: pytest.MonkeyPatch, emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}
    login = run_admin(monkeypatch, ["login", "--emulator", str(emulator.data_dir), "--json"], env)
    assert login.code == 0, login.output
    doc = login.json()
    assert doc["username"] == "admin@contoso.onmicrosoft.com"
    assert doc["cloud"] == "emulator"

    monkeypatch.setenv("SENDSCOPE_DATA_DIR", env["SENDSCOPE_DATA_DIR"])
    connection = resolve_admin(AdminOptions(emulator=emulator.data_dir), env={})
    assert connection.kind == "user"
    with AdminSession(connection, logins=LoginCache()) as session:
        token = session.tokens.token(session.cloud.exchange_scope)
        assert token.claims["upn"] == "admin@contoso.onmicrosoft.com"
        assert session.exchange.get_recipient("ceo@contoso.onmicrosoft.com") is not None
        org = session.graph.get_json("organization")
        assert org["value"][0]["id"] == emulator.info["tenants"][0]["id"]

    listed = run_admin(
        monkeypatch, ["policies", "list", "--emulator", str(emulator.data_dir), "--json"], env
    )
    assert listed.code == 0, listed.output
    assert listed.json()["policies"] == []
    assert "eyJ" not in listed.output + login.output


def test_login_refuses_a_malformed_client_id(
    monkeypatch: pytest.MonkeyPatch, emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}
    args = ["login", "--emulator", str(emulator.data_dir), "--client-id", "powershell"]
    outcome = run_admin(monkeypatch, args, env)
    assert outcome.code == 2
    assert "error: --client-id 'powershell' is not a client ID" in outcome.stderr
    assert not (tmp_path / "data").exists()


def test_a_confidential_app_cannot_use_device_code(
    monkeypatch: pytest.MonkeyPatch, emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    env = {"SENDSCOPE_DATA_DIR": str(tmp_path / "data")}
    mailer = emulator.info["tenants"][0]["apps"][0]["client_id"]
    args = ["login", "--emulator", str(emulator.data_dir), "--client-id", mailer]
    outcome = run_admin(monkeypatch, args, env)
    assert outcome.code == 4, outcome.output
    assert (
        f"error: app {mailer} is not a public client, so it cannot sign a person in by device "
        "code: leave out --client-id"
    ) in " ".join(outcome.stderr.split())
    assert not (tmp_path / "data" / "login.json").exists()
