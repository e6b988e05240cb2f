"""What an app can do: the verdict over its roles (pure), and what inspect_app reads with
the app's own token (mock transport)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sendscope.app_capabilities import (
    inspect_app,
    lifting_roles,
    mailbox_reach,
    mailbox_roles,
    verdict,
)
from sendscope.auth.credentials import ClientSecret, Secret, load_certificate
from sendscope.clouds import CLOUDS
from tests.cert_helpers import make_certificate
from tests.unit.fake_cloud import CLIENT_ID, SECRET, TENANT_ID, FakeCloud, session_for

WHERE = "contoso.onmicrosoft.com"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
GLOBAL = CLOUDS["global"]


@pytest.mark.parametrize(
    ("role", "reach"),
    [
        ("Mail.Send", "send as"),
        ("Mail.Read", "read the mail of"),
        ("Mail.ReadBasic.All", "read the mail (without their bodies) of"),
        ("Mail.ReadWrite", "read, change and delete the mail of"),
        ("Calendars.Read", "read the calendars of"),
        ("Calendars.ReadWrite", "read, change and delete the calendars of"),
        ("Contacts.ReadWrite", "read, change and delete the contacts of"),
        ("MailboxSettings.Read", "read the mailbox settings of"),
        ("MailboxItem.ImportExport.All", "export the mailbox items of"),
        ("User.Read.All", None),
        ("MailTips.ReadBasic.All", None),
        ("Contacts-OnPremisesSyncBehavior.ReadWrite.All", None),
    ],
)
def test_what_each_role_does_to_a_mailbox(role: str, reach: str | None) -> None:
    assert mailbox_reach(role) == reach


def test_mail_send_gives_the_sentence_of_the_issue() -> None:
    assert verdict(["Mail.Send"], WHERE) == (
        "This app holds Mail.Send: it can send as ANY mailbox in contoso.onmicrosoft.com unless "
        "an Exchange policy restricts it.",
    )


def test_every_mailbox_role_is_named_and_lifting_roles_follow() -> None:
    roles = ["AppRoleAssignment.ReadWrite.All", "Calendars.Read", "Mail.Send", "User.Read.All"]
    sentences = verdict(roles, WHERE)
    assert [s.split(":")[0] for s in sentences] == [
        "This app holds Calendars.Read",
        "This app holds Mail.Send",
        "It also holds AppRoleAssignment.ReadWrite.All",
    ]
    assert sentences[2] == (
        "It also holds AppRoleAssignment.ReadWrite.All: it can grant itself or any app any "
        "permission, Mail.Send included; a restriction on its mailbox access would not hold it "
        "back."
    )
    assert mailbox_roles(roles) == ("Calendars.Read", "Mail.Send")
    assert lifting_roles(roles) == ("AppRoleAssignment.ReadWrite.All",)


def test_mailbox_roles_policies_are_not_documented_to_cover() -> None:
    assert verdict(["MailboxFolder.Read.All"], WHERE) == (
        "This app holds MailboxFolder.Read.All: it can read the mail folders of ANY mailbox in "
        "contoso.onmicrosoft.com, and Exchange Application Access Policies are not documented "
        "to restrict it.",
    )


def test_no_roles_means_no_consent() -> None:
    (sentence,) = verdict([], WHERE)
    assert sentence.startswith("This app has no application permissions on Microsoft Graph")
    assert "admin consent is missing" in sentence


def test_roles_that_reach_no_mailbox() -> None:
    assert verdict(["User.Read.All", "RoleManagement.ReadWrite.Directory"], WHERE) == (
        "This app holds no permission that reaches mailboxes through Microsoft Graph.",
        "But it holds RoleManagement.ReadWrite.Directory: it can make itself or anyone a Global "
        "Administrator, who can remove any policy; that is a way into mailboxes anyway.",
    )


# -- inspect_app -------------------------------------------------------------------------


def test_a_mail_send_app_reads_nothing_beyond_its_token() -> None:
    fake = FakeCloud(roles=["Mail.Send"])
    with session_for(GLOBAL, fake, domain=WHERE) as session:
        report = inspect_app(session, now=NOW)
    assert [u.split(" ")[0] for u in fake.urls] == ["GET", "POST"]  # discovery, token
    assert report.tenant_id == TENANT_ID and report.tenant_domain == WHERE
    assert report.client_id == CLIENT_ID and report.display_name == "Unit App"
    assert report.credential_type == "secret"
    assert report.secrets is None and report.certificate is None
    assert report.roles == ("Mail.Send",)
    assert report.warnings == ()


def test_the_domain_comes_from_graph_when_the_token_may_read_the_organization() -> None:
    org = {
        "value": [
            {
                "verifiedDomains": [
                    {"name": "contoso.onmicrosoft.com", "isDefault": False},
                    {"name": "contoso.com", "isDefault": True},
                ]
            }
        ]
    }
    fake = FakeCloud(roles=["Organization.Read.All", "Mail.Send"], graph={"organization": org})
    with session_for(GLOBAL, fake) as session:
        report = inspect_app(session, now=NOW)
    assert report.tenant_domain == "contoso.com"
    assert "ANY mailbox in contoso.com" in report.verdict[0]
    assert "%24select=verifiedDomains" in fake.urls[-1]


def test_without_a_known_domain_the_verdict_names_the_tenant_id() -> None:
    with session_for(GLOBAL, FakeCloud()) as session:
        report = inspect_app(session, now=NOW)
    assert report.tenant_domain is None
    assert f"ANY mailbox in tenant {TENANT_ID} unless" in report.verdict[0]


def test_secrets_are_read_when_the_token_may_and_the_one_in_use_is_marked() -> None:
    key = f"applications(appId='{CLIENT_ID}')"
    app = {
        "passwordCredentials": [
            {
                "keyId": "k1",
                "displayName": "old",
                "hint": "xyz",
                "endDateTime": "2026-01-11T00:00:00.1234567Z",
            },
            {
                "keyId": "k2",
                "displayName": None,
                "hint": SECRET[:3],
                "endDateTime": "2026-01-20T00:00:00Z",
            },
        ]
    }
    fake = FakeCloud(roles=["Application.Read.All"], graph={key: app})
    with session_for(GLOBAL, fake, domain=WHERE) as session:
        report = inspect_app(session, now=NOW)
    assert report.secrets is not None
    assert [(s.key_id, s.maybe_in_use) for s in report.secrets] == [("k1", False), ("k2", True)]
    assert report.secrets[0].end == datetime(2026, 1, 11, 0, 0, 0, 123456, tzinfo=UTC)
    assert report.warnings == (
        "The client secret k2 expires on 2026-01-20, in 19 days: add a new one to the app and "
        "switch to it before then.",
    )
    assert "%24select=passwordCredentials" in fake.urls[-1]


def test_a_refused_optional_read_is_a_warning_not_a_failure() -> None:
    fake = FakeCloud(roles=["Directory.Read.All"])  # Graph answers 404 for everything
    with session_for(GLOBAL, fake, domain=WHERE) as session:
        report = inspect_app(session, now=NOW)
    assert report.secrets is None
    assert report.warnings[0].startswith(
        "could not read the app's secrets from Microsoft Graph: Microsoft 365 refused GET "
    )


def test_a_certificate_s_expiry_comes_from_its_file(tmp_path: Path) -> None:
    cert = make_certificate("unit expiry", days=20)
    credential = load_certificate(cert.write_pem(tmp_path / "c.pem"))
    with session_for(GLOBAL, FakeCloud(), credential=credential, domain=WHERE) as session:
        report = inspect_app(session, now=datetime.now(UTC))
    assert report.credential_type == "certificate"
    assert report.certificate is not None
    assert report.certificate.thumbprint_sha1 == cert.sha1_hex
    assert report.warnings == (
        f"The certificate CN=unit expiry expires on {credential.not_after:%Y-%m-%d}, in 19 days: "
        "add a new one to the app and switch to it before then.",
    )
    later = datetime.now(UTC) + timedelta(days=40)
    with session_for(GLOBAL, FakeCloud(), credential=credential, domain=WHERE) as session:
        expired = inspect_app(session, now=later)
    assert expired.warnings == (
        f"The certificate CN=unit expiry expired on {credential.not_after:%Y-%m-%d}: replace "
        "it now.",
    )


def test_the_secret_value_is_only_compared_never_kept() -> None:
    fake = FakeCloud(
        roles=["Application.Read.All"],
        graph={f"applications(appId='{CLIENT_ID}')": {"passwordCredentials": []}},
    )
    credential = ClientSecret(Secret(SECRET))
    with session_for(GLOBAL, fake, credential=credential) as session:
        report = inspect_app(session, now=NOW)
    assert SECRET not in repr(report)
    assert report.secrets == ()
