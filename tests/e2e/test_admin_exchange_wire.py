"""ExchangeAdminClient on the wire: against the emulator over HTTPS, with the emulator's
admin app (Exchange.ManageAsApp + Exchange Administrator) and with an app that lacks both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sendscope.admin import AdminOptions, AdminSession, connect_admin, resolve_admin
from sendscope.emulator.server import ThreadedEmulator
from sendscope.errors import PermissionMissing, RequestRejected

pytestmark = pytest.mark.server

DOMAIN = "contoso.onmicrosoft.com"


@pytest.fixture(scope="module")
def emulator() -> Iterator[ThreadedEmulator]:
    with ThreadedEmulator(seed="demo") as server:
        yield server


@pytest.fixture
def admin(
    emulator: ThreadedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AdminSession]:
    monkeypatch.setenv("SENDSCOPE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SENDSCOPE_ADMIN_CLIENT_ID", raising=False)
    with connect_admin(AdminOptions(emulator=emulator.data_dir)) as session:
        yield session


def _mailer_id(emulator: ThreadedEmulator) -> str:
    return str(emulator.info["tenants"][0]["apps"][0]["client_id"])


def test_mailboxes_page_by_reposting_to_next_link(
    emulator: ThreadedEmulator, admin: AdminSession
) -> None:
    everyone = admin.exchange.get_mailboxes()
    connection = resolve_admin(AdminOptions(emulator=emulator.data_dir))
    with AdminSession(connection) as small:
        small.exchange._prefer = {"Prefer": "odata.maxpagesize=7"}
        paged = small.exchange.get_mailboxes()
    assert len(everyone) > 7
    assert [m["PrimarySmtpAddress"] for m in paged] == [m["PrimarySmtpAddress"] for m in everyone]
    assert {m["RecipientTypeDetails"] for m in everyone} <= {"UserMailbox", "SharedMailbox"}


def test_unknown_recipient_is_none_and_known_one_is_its_object(admin: AdminSession) -> None:
    assert admin.exchange.get_recipient(f"nobody@{DOMAIN}") is None
    ceo = admin.exchange.get_recipient(f"ceo@{DOMAIN}")
    assert ceo is not None
    assert ceo["PrimarySmtpAddress"] == f"ceo@{DOMAIN}"
    assert ceo["IsValidSecurityPrincipal"] is True


def test_group_policy_test_and_remove_round_trip(
    emulator: ThreadedEmulator, admin: AdminSession
) -> None:
    app = _mailer_id(emulator)
    exchange = admin.exchange
    group = exchange.new_distribution_group(
        name="Wire Senders",
        alias="wiresenders",
        display_name=None,
        primary_smtp_address=f"wiresenders@{DOMAIN}",
        members=[f"noreply@{DOMAIN}"],
    )
    assert group["RecipientTypeDetails"] == "MailUniversalSecurityGroup"
    exchange.add_distribution_group_member("wiresenders", f"hr@{DOMAIN}")
    members = {
        m["PrimarySmtpAddress"] for m in exchange.get_distribution_group_members("wiresenders")
    }
    assert members == {f"noreply@{DOMAIN}", f"hr@{DOMAIN}"}
    policy = exchange.new_application_access_policy(
        app_id=app, scope=f"wiresenders@{DOMAIN}", access_right="RestrictAccess", description="t"
    )
    try:
        assert [p["Identity"] for p in exchange.get_application_access_policies()] == [
            policy["Identity"]
        ]
        granted = exchange.test_application_access_policy(identity=f"noreply@{DOMAIN}", app_id=app)
        denied = exchange.test_application_access_policy(identity=f"ceo@{DOMAIN}", app_id=app)
        assert (granted["AccessCheckResult"], denied["AccessCheckResult"]) == ("Granted", "Denied")
    finally:
        exchange.remove_application_access_policy(policy["Identity"])
    assert exchange.get_application_access_policies() == []


def test_scope_that_is_not_a_security_principal_is_rejected_in_exchanges_words(
    emulator: ThreadedEmulator, admin: AdminSession
) -> None:
    with pytest.raises(RequestRejected) as caught:
        admin.exchange.new_application_access_policy(
            app_id=_mailer_id(emulator),
            scope=f"info@{DOMAIN}",
            access_right="RestrictAccess",
            description=None,
        )
    assert caught.value.message.startswith("Exchange refused New-ApplicationAccessPolicy: ")
    assert "|" not in caught.value.message
    assert caught.value.failure is not None and caught.value.failure.status == 400


def test_an_app_without_exchange_rights_is_told_which_role_it_needs(
    emulator: ThreadedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = emulator.info["tenants"][0]["apps"][0]
    monkeypatch.setenv("SENDSCOPE_ADMIN_CLIENT_SECRET", mailer["client_secret"])
    options = AdminOptions(emulator=emulator.data_dir, admin_client_id=mailer["client_id"])
    with connect_admin(options) as session, pytest.raises(PermissionMissing) as caught:
        session.exchange.get_application_access_policies()
    message = caught.value.message
    assert "Get-ApplicationAccessPolicy" in message
    assert "Exchange.ManageAsApp" in message
    assert "Exchange Administrator" in message
    assert mailer["client_secret"] not in message
    assert caught.value.exit_code == 5
