"""resolve_admin: which admin identity wins (option/env > profile > login cache > the
emulator's admin app), validation before any network call, and the login cache file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sendscope.admin import AdminOptions, resolve_admin
from sendscope.auth.admin_tokens import LoginCache, LoginRecord
from sendscope.auth.credentials import ClientSecret
from sendscope.errors import UsageError
from sendscope.profiles import Profile, ProfileStore

TENANT = "11111111-2222-3333-4444-555555555555"
ADMIN_ID = "aaaaaaaa-0000-0000-0000-000000000001"
OTHER_ID = "bbbbbbbb-0000-0000-0000-000000000002"
EMU_SECRET = "emu-admin-secret-value"


@pytest.fixture
def emulator_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "emu"
    directory.mkdir()
    info = {
        "url": "https://127.0.0.1:9",
        "ca_cert": str(directory / "ca.pem"),
        "tenants": [
            {
                "id": TENANT,
                "domain": "contoso.onmicrosoft.com",
                "admin": {"client_id": ADMIN_ID, "client_secret": EMU_SECRET},
                "apps": [],
            }
        ],
    }
    (directory / "emulator.json").write_text(json.dumps(info))
    return directory


@pytest.fixture
def logins(tmp_path: Path) -> LoginCache:
    return LoginCache(tmp_path / "data" / "login.json")


def _record(login_url: str = "https://127.0.0.1:9", tenant: str = TENANT) -> LoginRecord:
    return LoginRecord(login_url, tenant, "fb78d390-0c51-40cd-8e17-fdbfab77341b", "a@x", "{}")


def test_emulator_admin_app_is_the_default(emulator_dir: Path, logins: LoginCache) -> None:
    connection = resolve_admin(AdminOptions(emulator=emulator_dir), env={}, logins=logins)
    assert connection.kind == "app"
    assert connection.identity is not None
    assert connection.identity.client_id == ADMIN_ID
    assert isinstance(connection.identity.credential, ClientSecret)
    assert connection.identity.credential.value.reveal() == EMU_SECRET
    assert connection.tenant == TENANT
    assert connection.tenant_domain == "contoso.onmicrosoft.com"
    assert EMU_SECRET not in repr(connection)


def test_a_login_for_the_same_cloud_beats_the_emulator_default(
    emulator_dir: Path, logins: LoginCache
) -> None:
    logins.save(_record())
    connection = resolve_admin(AdminOptions(emulator=emulator_dir), env={}, logins=logins)
    assert connection.kind == "user"
    assert connection.login == _record()


def test_a_login_for_another_cloud_or_tenant_is_ignored(
    emulator_dir: Path, logins: LoginCache
) -> None:
    logins.save(_record(login_url="https://login.microsoftonline.com"))
    assert resolve_admin(AdminOptions(emulator=emulator_dir), env={}, logins=logins).kind == "app"
    logins.save(_record(tenant="99999999-2222-3333-4444-555555555555"))
    assert resolve_admin(AdminOptions(emulator=emulator_dir), env={}, logins=logins).kind == "app"


def test_an_admin_app_from_the_environment_beats_the_login(
    emulator_dir: Path, logins: LoginCache
) -> None:
    logins.save(_record())
    env = {"SENDSCOPE_ADMIN_CLIENT_ID": OTHER_ID, "SENDSCOPE_ADMIN_CLIENT_SECRET": " s3cret "}
    connection = resolve_admin(AdminOptions(emulator=emulator_dir), env=env, logins=logins)
    assert connection.identity is not None
    assert connection.identity.client_id == OTHER_ID
    assert isinstance(connection.identity.credential, ClientSecret)
    assert connection.identity.credential.value.reveal() == "s3cret"


def test_admin_secret_file_and_prompt(
    emulator_dir: Path, tmp_path: Path, logins: LoginCache
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("from-file\n")
    options = AdminOptions(
        emulator=emulator_dir, admin_client_id=OTHER_ID, admin_client_secret_file=secret
    )
    identity = resolve_admin(options, env={}, logins=logins).identity
    assert identity is not None and isinstance(identity.credential, ClientSecret)
    assert identity.credential.value.reveal() == "from-file"
    asked: list[str] = []
    prompted = resolve_admin(
        AdminOptions(emulator=emulator_dir, admin_client_id=OTHER_ID),
        env={},
        logins=logins,
        prompt=lambda text: asked.append(text) or "typed",
    ).identity
    assert prompted is not None and isinstance(prompted.credential, ClientSecret)
    assert prompted.credential.value.reveal() == "typed"
    assert asked == ["Admin app client secret (input hidden)"]


def test_profile_admin_client_id_is_used(
    emulator_dir: Path, tmp_path: Path, logins: LoginCache
) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.save(Profile("work", admin_client_id=ADMIN_ID))
    options = AdminOptions(emulator=emulator_dir, profile="work")
    identity = resolve_admin(options, env={}, logins=logins, profiles=store).identity
    assert identity is not None and identity.client_id == ADMIN_ID


@pytest.mark.parametrize(
    ("options", "env", "message"),
    [
        (
            AdminOptions(cloud="global", tenant=TENANT),
            {},
            "no admin identity: run `sendscope login` first",
        ),
        (
            AdminOptions(cloud="global", tenant=TENANT, admin_client_id="nope"),
            {},
            "--admin-client-id 'nope' is not a client ID",
        ),
        (
            AdminOptions(cloud="global", admin_client_id=ADMIN_ID),
            {"SENDSCOPE_ADMIN_CLIENT_SECRET": "x"},
            "no tenant given: pass --tenant",
        ),
        (
            AdminOptions(cloud="global", tenant=TENANT),
            {"SENDSCOPE_ADMIN_CLIENT_SECRET": "x"},
            "an admin credential was given without its app: pass --admin-client-id",
        ),
        (
            AdminOptions(cloud="global", tenant=TENANT, admin_client_id=ADMIN_ID),
            {},
            "no admin credential given: set SENDSCOPE_ADMIN_CLIENT_SECRET",
        ),
        (AdminOptions(cloud="mars", tenant=TENANT), {}, "--cloud 'mars' is not a cloud"),
        (AdminOptions(cloud="global", tenant="not a tenant"), {}, "--tenant 'not a tenant'"),
    ],
)
def test_bad_admin_options_are_usage_errors(
    options: AdminOptions, env: dict[str, str], message: str, logins: LoginCache
) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_admin(options, env=env, logins=logins)
    assert caught.value.message.startswith(message)
    assert caught.value.exit_code == 2


def test_secret_file_and_certificate_exclude_each_other(tmp_path: Path, logins: LoginCache) -> None:
    options = AdminOptions(
        cloud="global",
        tenant=TENANT,
        admin_client_id=ADMIN_ID,
        admin_client_secret_file=tmp_path / "s",
        admin_certificate=tmp_path / "c.pem",
    )
    with pytest.raises(UsageError, match="--admin-certificate and --admin-client-secret-file"):
        resolve_admin(options, env={}, logins=logins)


def test_login_cache_is_0600_and_round_trips(logins: LoginCache) -> None:
    assert logins.load() is None
    logins.save(_record())
    assert stat.S_IMODE(logins.path.stat().st_mode) == 0o600
    assert logins.load() == _record()
    assert "{}" not in repr(_record())
    assert logins.delete() is True
    assert logins.delete() is False


def test_unreadable_login_cache_says_to_log_out(logins: LoginCache) -> None:
    logins.path.parent.mkdir(parents=True)
    logins.path.write_text("not json")
    with pytest.raises(UsageError, match="run `sendscope logout`, then `sendscope login`"):
        logins.load()
