"""``sendscope connect`` against a real HTTPS emulator: what the app can do, every refusal
explained with its exit code, and never a secret or token in what it prints."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sendscope.auth.credentials import AppIdentity, ClientSecret, Secret
from sendscope.clouds import emulator_cloud
from sendscope.connection import AppConnection, AppSession
from sendscope.emulator.core.directory import GRAPH_APP_ID, Directory
from sendscope.errors import AuthenticationFailed

from .connect_helpers import (
    Emulator,
    Network,
    TokenSpy,
    assert_no_secret,
    clean_env,
    make_certificate,
    no_network,
    register_certificate,
    run_cli,
    run_process,
    start_emulator,
    token_spy,
)

pytestmark = pytest.mark.server

__all__ = ["clean_env", "no_network", "token_spy"]  # fixtures, imported for pytest

VERDICT = (
    "This app holds Mail.Send: it can send as ANY mailbox in contoso.onmicrosoft.com unless an "
    "Exchange policy restricts it."
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    yield from start_emulator()


@pytest.fixture
def emu_args(emulator: Emulator) -> list[str]:
    return ["connect", "--emulator", str(emulator.data_dir)]


def _one_line(text: str) -> str:
    """Rich wraps at 80 columns: compare sentences with the wrapping undone."""
    return " ".join(text.split())


def _connect(monkeypatch: pytest.MonkeyPatch, emulator: Emulator, *args: str, **env: str) -> Any:
    outcome = run_cli(monkeypatch, ["connect", "--emulator", str(emulator.data_dir), *args], env)
    assert_no_secret(outcome.output, emulator.secrets)
    return outcome


# -- the happy paths, in a real process -----------------------------------------------


def test_connect_with_the_emulator_secret_shows_what_the_app_can_do(
    emulator: Emulator, emu_args: list[str]
) -> None:
    outcome = run_process(emu_args)
    assert outcome.code == 0, outcome.stderr
    text = _one_line(outcome.stdout)
    assert f"Tenant {emulator.tenant_id} (contoso.onmicrosoft.com)" in text
    assert "App Timesheet Mailer" in text
    assert f"App ID {emulator.app['client_id']}" in text
    assert "Credential client secret" in text
    assert "Expiry not readable with the app's own token" in text
    assert "Roles Mail.Send" in text
    assert VERDICT in text
    assert outcome.stderr == ""
    assert_no_secret(outcome.output, emulator.secrets)


def test_connect_json_is_one_schema_v1_document(emulator: Emulator, emu_args: list[str]) -> None:
    outcome = run_process([*emu_args, "--json"])
    assert outcome.code == 0, outcome.stderr
    doc = outcome.json()
    assert doc["schema_version"] == 1
    assert doc["tenant"] == {"id": emulator.tenant_id, "domain": "contoso.onmicrosoft.com"}
    assert doc["app"]["client_id"] == emulator.app["client_id"]
    assert doc["app"]["display_name"] == "Timesheet Mailer"
    assert doc["cloud"]["name"] == "emulator"
    assert doc["credential"] == {
        "type": "secret",
        "certificate": None,
        "secrets_readable": False,
        "secrets": None,
    }
    assert doc["roles"] == ["Mail.Send"]
    assert doc["mailbox_roles"] == ["Mail.Send"]
    assert doc["lifting_roles"] == []
    assert doc["verdict"] == [VERDICT]
    assert doc["warnings"] == []
    assert_no_secret(outcome.output, emulator.secrets)


def test_every_line_fits_80_columns(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator
) -> None:
    outcome = _connect(
        monkeypatch, emulator, "--client-id", emulator.admin["client_id"], COLUMNS="80"
    )
    assert outcome.code == 0, outcome.output
    lines = outcome.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert max(len(line.rstrip()) for line in lines) > 70  # the long sentences were wrapped


def test_admin_app_reads_its_own_secret_expiry_and_is_told_it_can_lift_restrictions(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator
) -> None:
    outcome = _connect(monkeypatch, emulator, "--client-id", emulator.admin["client_id"], "--json")
    assert outcome.code == 0, outcome.output
    doc = outcome.json()
    credential = doc["credential"]
    assert credential["secrets_readable"] is True
    assert [s["maybe_in_use"] for s in credential["secrets"]] == [True]
    assert credential["secrets"][0]["end"].startswith("20")
    assert doc["mailbox_roles"] == []
    assert doc["lifting_roles"] == [
        "AppRoleAssignment.ReadWrite.All",
        "Application.ReadWrite.All",
        "RoleManagement.ReadWrite.Directory",
    ]
    assert doc["verdict"][0] == (
        "This app holds no permission that reaches mailboxes through Microsoft Graph."
    )
    assert doc["verdict"][1].startswith(
        "But it holds AppRoleAssignment.ReadWrite.All: it can grant itself or any app any "
        "permission, Mail.Send included"
    )


def test_an_app_without_roles_is_told_consent_is_missing(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator
) -> None:
    directory = Directory(emulator.state.store)
    now = emulator.state.clock.now()
    oid, app_id = directory.create_application(emulator.tenant_id, "Unconsented", now=now)
    directory.create_service_principal(emulator.tenant_id, app_id, "Unconsented", now=now)
    secret = directory.add_password(
        emulator.tenant_id, oid, display_name="s", start=now, end=now + timedelta(days=30)
    )["secretText"]
    outcome = _connect(monkeypatch, emulator, "--client-id", app_id, SENDSCOPE_CLIENT_SECRET=secret)
    assert outcome.code == 0, outcome.output
    assert secret not in outcome.output
    assert "Roles none" in _one_line(outcome.stdout)
    assert (
        "This app has no application permissions on Microsoft Graph: its token holds no roles, "
        "so it cannot reach any mailbox through Graph. If it should, admin consent is missing"
    ) in _one_line(outcome.stdout)


# -- certificates ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registered(emulator: Emulator) -> Any:
    certificate = make_certificate("Timesheet Mailer")
    register_certificate(emulator.state, emulator.tenant_id, emulator.app["client_id"], certificate)
    return certificate


def test_connect_with_a_pem_certificate(
    emulator: Emulator, emu_args: list[str], registered: Any, tmp_path: Path
) -> None:
    pem = registered.write_pem(tmp_path / "app.pem")
    outcome = run_process([*emu_args, "--certificate", str(pem), "--json"])
    assert outcome.code == 0, outcome.stderr
    cert = outcome.json()["credential"]
    assert cert["type"] == "certificate"
    assert cert["certificate"]["thumbprint_sha1"] == registered.sha1_hex
    assert cert["certificate"]["subject"] == "CN=Timesheet Mailer"
    expected = registered.cert.not_valid_after_utc.isoformat().replace("+00:00", "Z")
    assert cert["certificate"]["not_after"] == expected
    assert outcome.json()["roles"] == ["Mail.Send"]
    assert registered.key_pem.decode() not in outcome.output
    assert_no_secret(outcome.output, emulator.secrets)


def test_connect_with_a_pfx_and_its_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    registered: Any,
    tmp_path: Path,
    token_spy: TokenSpy,
) -> None:
    pfx = registered.write_pfx(tmp_path / "app.pfx", "pfx-pass-7731")
    outcome = _connect(
        monkeypatch,
        emulator,
        "--certificate",
        str(pfx),
        SENDSCOPE_CERTIFICATE_PASSWORD="pfx-pass-7731",
    )
    assert outcome.code == 0, outcome.output
    assert "pfx-pass-7731" not in outcome.output
    text = _one_line(outcome.stdout)
    assert f"Credential certificate CN=Timesheet Mailer, thumbprint {registered.sha1_hex}" in text
    assert "Expiry ends " in text
    assert VERDICT in text
    # Entra saw a certificate sign-in, not the emulator's secret.
    assert [t.claims["appidacr"] for t in token_spy.tokens] == ["2"]
    assert_no_secret(outcome.output, [*emulator.secrets, *token_spy.values])


def test_a_certificate_near_its_end_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, tmp_path: Path
) -> None:
    short = make_certificate("short-lived", days=10)
    register_certificate(emulator.state, emulator.tenant_id, emulator.app["client_id"], short)
    pem = short.write_pem(tmp_path / "short.pem")
    outcome = _connect(monkeypatch, emulator, "--certificate", str(pem), "--json")
    assert outcome.code == 0, outcome.output
    end = short.cert.not_valid_after_utc
    assert outcome.json()["warnings"] == [
        f"The certificate CN=short-lived expires on {end:%Y-%m-%d}, in 9 days: add a new one to "
        "the app and switch to it before then."
    ]


def test_an_unregistered_certificate_is_700027_explained(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, tmp_path: Path
) -> None:
    stranger = make_certificate("stranger")
    pem = stranger.write_pem(tmp_path / "stranger.pem")
    outcome = _connect(monkeypatch, emulator, "--certificate", str(pem))
    assert outcome.code == 4
    text = _one_line(outcome.stderr)
    assert text.startswith(
        f"error: Entra ID does not accept the certificate for app {emulator.app['client_id']}: "
        "it is not registered on the app, or it has expired there. Upload its public part"
    )
    assert "AADSTS700027: The certificate with identifier used to sign" in text
    assert stranger.sha1_hex in text
    assert "Traceback" not in outcome.output


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str | None, str]]:
    cert = make_certificate("bad files")
    (tmp_path / "text.pem").write_text("hello, not a certificate\n")
    (tmp_path / "garbage.bin").write_bytes(b"\x01\x02garbage")
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "ec.pem").write_bytes(cert.cert_pem + ec_pem)
    (tmp_path / "cert-only.pem").write_bytes(cert.cert_pem)
    (tmp_path / "key-only.pem").write_bytes(cert.key_pem)
    (tmp_path / "app.cer").write_bytes(cert.der)
    cert.write_pfx(tmp_path / "locked.pfx", "right-password")
    missing = tmp_path / "missing.pem"
    return {
        "missing": (missing, None, f"cannot read certificate {missing}: No such file or directory"),
        "text": (tmp_path / "text.pem", None, "is neither a PEM nor a PFX file"),
        "key only": (tmp_path / "key-only.pem", None, "holds no PEM certificate"),
        "garbage": (tmp_path / "garbage.bin", None, "is neither a PEM nor a PFX file"),
        "cert only": (
            tmp_path / "cert-only.pem",
            None,
            "holds a certificate but no usable private key (no key found)",
        ),
        "der .cer": (tmp_path / "app.cer", None, "is a certificate without its private key"),
        "ec key": (tmp_path / "ec.pem", None, "Entra ID accepts only RSA certificates"),
        "wrong pfx password": (
            tmp_path / "locked.pfx",
            "wrong-password",
            "wrong password or not a PFX file (check SENDSCOPE_CERTIFICATE_PASSWORD)",
        ),
        "pfx without password": (
            tmp_path / "locked.pfx",
            None,
            "it needs a password: set SENDSCOPE_CERTIFICATE_PASSWORD",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "text",
        "key only",
        "garbage",
        "cert only",
        "der .cer",
        "ec key",
        "wrong pfx password",
        "pfx without password",
    ],
)
def test_bad_certificate_files_are_usage_errors_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    tmp_path: Path,
    no_network: Network,
    case: str,
) -> None:
    path, password, sentence = _bad_files(tmp_path)[case]
    env = {"SENDSCOPE_CERTIFICATE_PASSWORD": password} if password else {}
    outcome = _connect(monkeypatch, emulator, "--certificate", str(path), **env)
    assert outcome.code == 2, outcome.output
    assert outcome.stderr.startswith("error: ")
    assert sentence in _one_line(outcome.stderr)
    assert str(path) in _one_line(outcome.stderr)
    assert no_network.attempts == []
    if password:
        assert password not in outcome.output


# -- AADSTS refusals, each explained, exit 4 -------------------------------------------


def _refused(outcome: Any, first: str, aadsts: str) -> str:
    assert outcome.code == 4, outcome.output
    text = _one_line(outcome.stderr)
    assert text.startswith(f"error: {first}"), text
    assert f"Entra ID said: {aadsts}" in text
    assert "Traceback" not in outcome.output
    assert outcome.stdout == ""
    return text


def test_wrong_secret_is_7000215_the_id_instead_of_the_value(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator
) -> None:
    secret_id = "5b3f0a1e-7d4c-4c1b-9a55-0e9d2c7f4a10"  # what people paste by mistake
    outcome = _connect(monkeypatch, emulator, SENDSCOPE_CLIENT_SECRET=secret_id)
    app = emulator.app["client_id"]
    _refused(
        outcome,
        f"The client secret is wrong for app {app}. Most often the secret's ID was pasted "
        "instead of its Value",
        f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        f"request is the client secret value, not the client secret ID, for a secret added to "
        f"app '{app}'.",
    )
    assert secret_id not in outcome.output


def test_expired_secret_is_7000222(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, tmp_path: Path
) -> None:
    directory = Directory(emulator.state.store)
    app = directory.application_by_app_id(emulator.tenant_id, emulator.app["client_id"])
    assert app is not None
    now = emulator.state.clock.now()
    old = directory.add_password(
        emulator.tenant_id,
        app["id"],
        display_name="old",
        start=now - timedelta(days=800),
        end=now - timedelta(days=70),
    )["secretText"]
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(old + "\n")
    outcome = _connect(monkeypatch, emulator, "--client-secret-file", str(secret_file))
    _refused(
        outcome,
        f"The client secret of app {emulator.app['client_id']} has expired. Create a new one",
        f"AADSTS7000222: The provided client secret keys for app '{emulator.app['client_id']}' "
        "are expired.",
    )
    assert old not in outcome.output


@pytest.mark.parametrize(
    "tenant", ["3b1d2a4c-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "fabrikam.onmicrosoft.com"]
)
def test_unknown_tenant_is_90002(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, tenant: str
) -> None:
    outcome = _connect(monkeypatch, emulator, "--tenant", tenant)
    _refused(
        outcome,
        f"Tenant {tenant} does not exist in this cloud. Check --tenant, and pass --cloud usgov, "
        "usgovdod or china",
        f"AADSTS90002: Tenant '{tenant}' not found.",
    )


def test_unknown_client_id_is_700016(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator
) -> None:
    stranger = "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
    outcome = _connect(
        monkeypatch, emulator, "--client-id", stranger, SENDSCOPE_CLIENT_SECRET="any-value-1"
    )
    _refused(
        outcome,
        f"App {stranger} does not exist in tenant {emulator.tenant_id}. Check --client-id",
        f"AADSTS700016: Application with identifier '{stranger}' was not found in the "
        "directory 'Contoso'.",
    )
    assert "any-value-1" not in outcome.output


@pytest.fixture
def disabled(emulator: Emulator) -> Iterator[None]:
    store = emulator.state.store
    sql = "UPDATE service_principals SET account_enabled = ? WHERE tenant_id = ? AND app_id = ?"
    store.execute(sql, (0, emulator.tenant_id, emulator.app["client_id"]))
    yield
    store.execute(sql, (1, emulator.tenant_id, emulator.app["client_id"]))


def test_disabled_service_principal_is_7000112(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, disabled: None
) -> None:
    app = emulator.app["client_id"]
    _refused(
        _connect(monkeypatch, emulator),
        f"App {app} is disabled in tenant {emulator.tenant_id}: its enterprise application has "
        "'Enabled for users to sign-in' set to No. An admin must enable it.",
        f"AADSTS7000112: Application '{app}'(Timesheet Mailer) is disabled.",
    )


@contextmanager
def _removed_service_principal(emulator: Emulator, app_id: str) -> Iterator[None]:
    store = emulator.state.store
    where = "WHERE tenant_id = ? AND app_id = ?"
    key = (emulator.tenant_id, app_id)
    row = store.one(f"SELECT * FROM service_principals {where}", key)
    assert row is not None
    store.execute(f"DELETE FROM service_principals {where}", key)
    try:
        yield
    finally:
        names = row.keys()
        store.execute(
            f"INSERT INTO service_principals ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            tuple(row),
        )


@pytest.fixture
def without_service_principal(emulator: Emulator) -> Iterator[None]:
    """The app registration stays; its enterprise application is deleted (and restored)."""
    with _removed_service_principal(emulator, emulator.app["client_id"]):
        yield


def test_missing_service_principal_is_7000229(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    without_service_principal: None,
) -> None:
    app = emulator.app["client_id"]
    _refused(
        _connect(monkeypatch, emulator),
        f"App {app} has no service principal (enterprise application) in tenant "
        f"{emulator.tenant_id}. An admin of {emulator.tenant_id} must create it",
        f"AADSTS7000229: The client application {app} is missing service principal",
    )


# -- the network -------------------------------------------------------------------------


@pytest.fixture
def stopped_emulator(emulator: Emulator, tmp_path: Path) -> Path:
    """An emulator.json whose server is gone: the port is closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = emulator.server.info_path.read_text().replace(
        emulator.server.url, f"https://127.0.0.1:{port}"
    )
    (tmp_path / "emulator.json").write_text(text)
    return tmp_path


def test_emulator_down_is_exit_6_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, stopped_emulator: Path
) -> None:
    outcome = run_cli(monkeypatch, ["connect", "--emulator", str(stopped_emulator)])
    assert outcome.code == 6, outcome.output
    text = _one_line(outcome.stderr)
    assert text.startswith("error: cannot reach Entra ID at https://127.0.0.1:")
    assert "Is the emulator running? Start it with: sendscope emulator serve" in text
    assert "Traceback" not in outcome.output
    assert_no_secret(outcome.output, emulator.secrets)


def test_a_bogus_ca_bundle_in_the_environment_changes_nothing(
    emulator: Emulator, emu_args: list[str], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus-ca.pem"
    bogus.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    env = {
        "REQUESTS_CA_BUNDLE": str(bogus),
        "SSL_CERT_FILE": str(bogus),
        "SSL_CERT_DIR": str(tmp_path),
        "CURL_CA_BUNDLE": str(bogus),
    }
    outcome = run_process([*emu_args, "--json"], env)
    assert outcome.code == 0, outcome.stderr
    assert outcome.json()["roles"] == ["Mail.Send"]


# -- input validation: exit 2, and no request made -------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "sentence"),
    [
        (
            ["--client-id", "not-a-guid"],
            {},
            "error: --client-id 'not-a-guid' is not a client ID: it is the app's Application "
            "(client) ID, a GUID",
        ),
        (
            ["--client-id", "3f2c1d4e-5a6b-7c8d-9e0f"],
            {},
            "error: --client-id '3f2c1d4e-5a6b-7c8d-9e0f' is not a client ID",
        ),
        (
            ["--tenant", "contoso"],
            {},
            "error: --tenant 'contoso' is not a tenant: give the tenant ID (a GUID such as",
        ),
        (
            ["--tenant", "contoso.com1"],
            {},
            "error: --tenant 'contoso.com1' is not a tenant",
        ),
        (
            ["--cloud", "global"],
            {},
            "error: --cloud global and --emulator exclude each other: the emulator is its own "
            "cloud",
        ),
        (
            ["--profile", "nowhere"],
            {},
            "error: --profile 'nowhere' does not exist: profiles are none yet (sendscope "
            "profile add)",
        ),
    ],
)
def test_bad_input_with_the_emulator_stops_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    no_network: Network,
    args: list[str],
    env: dict[str, str],
    sentence: str,
) -> None:
    outcome = _connect(monkeypatch, emulator, *args, **env)
    assert outcome.code == 2, outcome.output
    assert _one_line(outcome.stderr).startswith(sentence)
    assert no_network.attempts == []


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ["--cloud", "mars"],
            "error: --cloud 'mars' is not a cloud: use one of global, usgov, usgovdod, china",
        ),
        (
            ["--client-id", "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"],
            "error: no tenant given: pass "
            "--tenant (the tenant ID or a domain such as contoso.onmicrosoft.com) or set "
            "SENDSCOPE_TENANT",
        ),
        (
            ["--tenant", "contoso.onmicrosoft.com"],
            "error: no app given: pass --client-id (the "
            "app's Application (client) ID) or set SENDSCOPE_CLIENT_ID",
        ),
        (
            [
                "--tenant",
                "contoso.onmicrosoft.com",
                "--client-id",
                "3f2c1d4e-5a6b-4c8d-9e0f-112233445566",
            ],
            "error: no credential given: set "
            "SENDSCOPE_CLIENT_SECRET, pass --client-secret-file or --certificate",
        ),
    ],
)
def test_bad_input_for_a_real_cloud_stops_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    no_network: Network,
    args: list[str],
    sentence: str,
) -> None:
    outcome = run_cli(monkeypatch, ["connect", *args])
    assert outcome.code == 2, outcome.output
    assert _one_line(outcome.stderr) == sentence
    assert no_network.attempts == []


def test_empty_secret_file_is_named(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, no_network: Network, tmp_path: Path
) -> None:
    empty = tmp_path / "secret.txt"
    empty.write_text("\n")
    outcome = run_cli(
        monkeypatch,
        [
            "connect",
            "--tenant",
            "contoso.onmicrosoft.com",
            "--client-id",
            "3f2c1d4e-5a6b-4c8d-9e0f-112233445566",
            "--client-secret-file",
            str(empty),
        ],
    )
    assert outcome.code == 2
    assert _one_line(outcome.stderr) == f"error: --client-secret-file {empty} is empty"
    assert no_network.attempts == []


def test_a_certificate_and_a_secret_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    tmp_path: Path,
    no_network: Network,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-value-991")
    pem = make_certificate("both").write_pem(tmp_path / "both.pem")
    outcome = _connect(
        monkeypatch, emulator, "--certificate", str(pem), "--client-secret-file", str(secret)
    )
    assert outcome.code == 2
    assert _one_line(outcome.stderr).startswith(
        "error: --certificate and --client-secret-file exclude each other"
    )
    assert "s3cret-value-991" not in outcome.output
    assert no_network.attempts == []


# -- profiles and secrets ----------------------------------------------------------------


def test_connect_with_a_profile(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    registered: Any,
    tmp_path: Path,
) -> None:
    pem = registered.write_pem(tmp_path / "profile.pem")
    added = run_cli(
        monkeypatch,
        [
            "profile",
            "add",
            "contoso",
            "--tenant",
            emulator.domain,
            "--client-id",
            emulator.app["client_id"],
            "--certificate",
            str(pem),
        ],
    )
    assert added.code == 0, added.output
    outcome = _connect(monkeypatch, emulator, "--profile", "contoso", "--json")
    assert outcome.code == 0, outcome.output
    doc = outcome.json()
    assert doc["credential"]["type"] == "certificate"
    assert doc["credential"]["certificate"]["path"] == str(pem.resolve())
    assert doc["tenant"] == {"id": emulator.tenant_id, "domain": emulator.domain}
    # An explicit secret in the environment beats the profile's certificate.
    outcome = _connect(
        monkeypatch,
        emulator,
        "--profile",
        "contoso",
        "--json",
        SENDSCOPE_CLIENT_SECRET=emulator.app["client_secret"],
    )
    assert outcome.json()["credential"]["type"] == "secret"


def test_nothing_secret_is_printed_or_logged_even_at_debug(
    monkeypatch: pytest.MonkeyPatch,
    clean_env: Path,
    emulator: Emulator,
    registered: Any,
    tmp_path: Path,
    token_spy: TokenSpy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    pem = registered.write_pem(tmp_path / "debug.pem")
    runs = [
        _connect(monkeypatch, emulator),
        _connect(monkeypatch, emulator, "--json"),
        _connect(monkeypatch, emulator, "--client-id", emulator.admin["client_id"]),
        _connect(monkeypatch, emulator, "--certificate", str(pem)),
        _connect(monkeypatch, emulator, SENDSCOPE_CLIENT_SECRET="wrong-secret-4411"),
    ]
    assert [r.code for r in runs] == [0, 0, 0, 0, 4]
    assert len(set(token_spy.values)) == 4  # the admin run reuses its token for Graph
    everything = "".join(r.output for r in runs) + caplog.text
    assert caplog.text  # MSAL and the HTTP client did log at debug level
    assert_no_secret(everything, [*emulator.secrets, *token_spy.values, "wrong-secret-4411"])
    assert registered.key_pem.decode().splitlines()[1] not in everything


# -- refusals the CLI's own checks would catch first, held against the real emulator -----


def _session(emulator: Emulator, tenant: str) -> AppSession:
    """An app session built by hand, past resolve_app's checks, to hear Entra's answer."""
    cloud = emulator_cloud(emulator.server.url)
    secret = ClientSecret(Secret(emulator.app["client_secret"]))
    identity = AppIdentity(tenant, emulator.app["client_id"], secret)
    return AppSession(AppConnection(cloud, identity, emulator.server.ca_cert))


def test_a_tenant_entra_cannot_parse_is_900023(emulator: Emulator) -> None:
    with _session(emulator, "a.b") as session, pytest.raises(AuthenticationFailed) as caught:
        session.tokens.token(session.connection.cloud.graph_scope)
    assert caught.value.aadsts == 900023
    assert caught.value.message.startswith(
        "a.b is not a tenant ID or domain. Use the tenant's GUID or a domain such as "
        "contoso.onmicrosoft.com.\nEntra ID said: AADSTS900023: Specified tenant identifier "
        "'a.b' is neither a valid DNS name, nor a valid external domain."
    )


@pytest.fixture
def without_graph(emulator: Emulator) -> Iterator[None]:
    """The tenant loses Microsoft Graph's service principal (and gets it back)."""
    with _removed_service_principal(emulator, GRAPH_APP_ID):
        yield


def test_a_tenant_without_graph_is_500011(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path, emulator: Emulator, without_graph: None
) -> None:
    _refused(
        _connect(monkeypatch, emulator),
        f"The API asked for is not known in tenant {emulator.tenant_id}: the tenant may be in "
        "another cloud (--cloud), or the service is not provisioned there.",
        "AADSTS500011: The resource principal named https://graph.microsoft.com was not found "
        "in the tenant named Contoso.",
    )
