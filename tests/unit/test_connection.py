"""From options to a validated app connection: precedence (option/env > profile > emulator),
where the secret comes from, and every bad input named before any request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sendscope.admin import AdminOptions, resolve_admin_place
from sendscope.auth.credentials import CertificateCredential, ClientSecret
from sendscope.connection import AppSession, ConnectionOptions, EmulatorInfo, resolve_app
from sendscope.errors import UsageError
from sendscope.profiles import Profile, ProfileStore
from tests.cert_helpers import make_certificate

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP = "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"
OTHER_APP = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
ADMIN = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def emulator_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "emu"
    directory.mkdir()
    info = {
        "url": "https://127.0.0.1:8765",
        "ca_cert": str(tmp_path / "ca.pem"),
        "tenants": [
            {
                "id": TENANT,
                "domain": "contoso.onmicrosoft.com",
                "admin": {"client_id": ADMIN, "client_secret": "admin-secret"},
                "apps": [
                    {"name": "Timesheet Mailer", "client_id": APP, "client_secret": "app-secret"},
                    {"name": "Other", "client_id": OTHER_APP, "client_secret": "other-secret"},
                ],
            }
        ],
    }
    (directory / "emulator.json").write_text(json.dumps(info))
    return directory


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "profiles.json")


def _resolve(options: ConnectionOptions, store: ProfileStore, **env: str) -> Any:
    return resolve_app(options, env=env, profiles=store)


def _secret(connection: Any) -> str:
    credential = connection.identity.credential
    assert isinstance(credential, ClientSecret)
    return credential.value.reveal()


def test_the_emulator_gives_tenant_app_secret_ca_and_domain(
    emulator_dir: Path, store: ProfileStore
) -> None:
    connection = _resolve(ConnectionOptions(emulator=emulator_dir), store)
    assert connection.cloud.is_emulator and connection.cloud.login_url == "https://127.0.0.1:8765"
    assert (connection.identity.tenant, connection.identity.client_id) == (TENANT, APP)
    assert _secret(connection) == "app-secret"
    assert connection.ca_file == emulator_dir.parent / "ca.pem"
    assert connection.tenant_domain == "contoso.onmicrosoft.com"


def test_a_named_emulator_app_gets_its_own_secret(emulator_dir: Path, store: ProfileStore) -> None:
    connection = _resolve(ConnectionOptions(emulator=emulator_dir, client_id=ADMIN), store)
    assert _secret(connection) == "admin-secret"


def test_the_environment_secret_beats_the_emulator_s(
    emulator_dir: Path, store: ProfileStore
) -> None:
    options = ConnectionOptions(emulator=emulator_dir)
    assert _secret(_resolve(options, store, SENDSCOPE_CLIENT_SECRET=" env-secret\n")) == (
        "env-secret"
    )


def test_a_secret_file_beats_the_environment(
    emulator_dir: Path, store: ProfileStore, tmp_path: Path
) -> None:
    path = tmp_path / "secret"
    path.write_text("file-secret\n")
    options = ConnectionOptions(emulator=emulator_dir, client_secret_file=path)
    assert _secret(_resolve(options, store, SENDSCOPE_CLIENT_SECRET="env")) == "file-secret"


def test_options_beat_the_profile_which_beats_the_emulator(
    emulator_dir: Path, store: ProfileStore
) -> None:
    store.save(Profile("p", tenant="contoso.onmicrosoft.com", client_id=OTHER_APP))
    connection = _resolve(ConnectionOptions(emulator=emulator_dir, profile="p"), store)
    assert connection.identity.client_id == OTHER_APP
    assert connection.identity.tenant == "contoso.onmicrosoft.com"
    assert connection.tenant_domain == "contoso.onmicrosoft.com"
    assert _secret(connection) == "other-secret"
    overridden = _resolve(
        ConnectionOptions(emulator=emulator_dir, profile="p", client_id=APP), store
    )
    assert overridden.identity.client_id == APP and _secret(overridden) == "app-secret"


def test_a_profile_s_cloud_and_certificate(store: ProfileStore, tmp_path: Path) -> None:
    pem = make_certificate("unit conn").write_pem(tmp_path / "c.pem")
    store.save(Profile("gov", tenant=TENANT, client_id=APP, cloud="usgov", certificate=str(pem)))
    connection = _resolve(ConnectionOptions(profile="gov"), store)
    assert connection.cloud.name == "usgov"
    assert isinstance(connection.identity.credential, CertificateCredential)
    assert connection.tenant_domain is None
    # A secret given now beats the certificate the profile remembers.
    again = _resolve(ConnectionOptions(profile="gov"), store, SENDSCOPE_CLIENT_SECRET="s")
    assert isinstance(again.identity.credential, ClientSecret)
    # And an explicit --cloud beats the profile's.
    assert _resolve(ConnectionOptions(profile="gov", cloud="china"), store).cloud.name == "china"


def test_the_prompt_is_the_last_resort(store: ProfileStore) -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return " typed-secret "

    options = ConnectionOptions(tenant=TENANT, client_id=APP)
    connection = resolve_app(options, env={}, profiles=store, prompt=prompt)
    assert _secret(connection) == "typed-secret"
    assert asked == ["Client secret (input hidden)"]
    with pytest.raises(UsageError, match=r"^no client secret entered$"):
        resolve_app(options, env={}, profiles=store, prompt=lambda _: "  ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ConnectionOptions(client_id=APP), "no tenant given: pass --tenant"),
        (ConnectionOptions(tenant=TENANT), "no app given: pass --client-id"),
        (ConnectionOptions(tenant="bad tenant", client_id=APP), "--tenant 'bad tenant' is not"),
        (ConnectionOptions(tenant=TENANT, client_id="app"), "--client-id 'app' is not a client"),
        (ConnectionOptions(cloud="mars"), "--cloud 'mars' is not a cloud: use one of global"),
        (
            ConnectionOptions(tenant=TENANT, client_id=APP),
            "no credential given: set "
            "SENDSCOPE_CLIENT_SECRET, pass --client-secret-file or --certificate",
        ),
        (
            ConnectionOptions(profile="ghost"),
            "--profile 'ghost' does not exist: profiles are none yet (sendscope profile add)",
        ),
    ],
)
def test_bad_or_missing_input(
    store: ProfileStore, options: ConnectionOptions, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        _resolve(options, store)
    assert caught.value.message.startswith(message)
    assert caught.value.exit_code == 2


def test_cloud_and_emulator_exclude_each_other(emulator_dir: Path, store: ProfileStore) -> None:
    with pytest.raises(UsageError) as caught:
        _resolve(ConnectionOptions(emulator=emulator_dir, cloud="usgov"), store)
    assert caught.value.message == (
        "--cloud usgov and --emulator exclude each other: the emulator is its own cloud"
    )


def test_certificate_and_secret_file_exclude_each_other(
    store: ProfileStore, tmp_path: Path
) -> None:
    options = ConnectionOptions(
        tenant=TENANT,
        client_id=APP,
        certificate=tmp_path / "c.pem",
        client_secret_file=tmp_path / "s",
    )
    with pytest.raises(UsageError, match="--certificate and --client-secret-file exclude"):
        _resolve(options, store)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read it (No such file or directory)"),
        ("  \n", "is empty"),
        (b"\xff\xfe\x00", "is not a text file"),
    ],
)
def test_secret_file_problems(
    store: ProfileStore, tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "secret.txt"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    options = ConnectionOptions(tenant=TENANT, client_id=APP, client_secret_file=path)
    with pytest.raises(UsageError) as caught:
        _resolve(options, store)
    assert caught.value.message.startswith(f"--client-secret-file {path}")
    assert message in caught.value.message


def test_emulator_json_problems(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        EmulatorInfo.load(tmp_path)
    assert caught.value.message == (
        f"--emulator {tmp_path}: there is no emulator.json there. Start one with: sendscope "
        f"emulator serve --data-dir {tmp_path}"
    )
    (tmp_path / "emulator.json").write_text('{"url": 1}')
    with pytest.raises(UsageError, match=r"emulator.json is unreadable \(KeyError\)"):
        EmulatorInfo.load(tmp_path)


def test_a_missing_emulator_ca_is_a_usage_error(emulator_dir: Path, store: ProfileStore) -> None:
    connection = _resolve(ConnectionOptions(emulator=emulator_dir), store)
    with pytest.raises(UsageError) as caught:
        AppSession(connection)
    assert caught.value.message.startswith(
        f"cannot use the emulator's CA certificate {emulator_dir.parent / 'ca.pem'} (No such "
        "file or directory): restart the emulator"
    )


def test_resolving_and_the_command_modules_import_no_http_or_crypto_stack(
    emulator_dir: Path,
) -> None:
    """Validation needs no HTTP client, and ``--help`` must start fast (bench/cli_startup)."""
    script = (
        "import sys, pathlib\n"
        "import sendscope.cli.connect, sendscope.cli.profile\n"
        "from sendscope.connection import ConnectionOptions, resolve_app\n"
        f"emulator = pathlib.Path({str(emulator_dir)!r})\n"
        "c = resolve_app(ConnectionOptions(emulator=emulator), env={})\n"
        "assert c.identity.client_id\n"
        "print(sorted(m for m in ('msal', 'httpx2', 'cryptography', 'stamina', 'jwt', 'rich')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("given", "option"),
    [
        ({"tenant": ""}, "--tenant (or SENDSCOPE_TENANT)"),
        ({"client_id": "  "}, "--client-id (or SENDSCOPE_CLIENT_ID)"),
        ({"profile": ""}, "--profile (or SENDSCOPE_PROFILE)"),
    ],
)
def test_an_option_given_empty_is_refused_not_a_fallback(
    emulator_dir: Path, store: ProfileStore, given: dict[str, str], option: str
) -> None:
    # Once: --tenant '' quietly meant the emulator's first tenant.
    with pytest.raises(UsageError) as caught:
        _resolve(ConnectionOptions(emulator=emulator_dir, **given), store)  # type: ignore[arg-type]
    assert caught.value.message == f"{option} is empty: give a value, or leave it out"


@pytest.mark.parametrize(
    ("given", "option"),
    [
        ({"tenant": ""}, "--tenant (or SENDSCOPE_TENANT)"),
        ({"admin_client_id": ""}, "--admin-client-id (or SENDSCOPE_ADMIN_CLIENT_ID)"),
    ],
)
def test_an_admin_option_given_empty_is_refused(
    emulator_dir: Path, store: ProfileStore, given: dict[str, str], option: str
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_admin_place(AdminOptions(emulator=emulator_dir, **given), profiles=store)  # type: ignore[arg-type]
    assert caught.value.message == f"{option} is empty: give a value, or leave it out"
