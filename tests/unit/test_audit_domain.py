"""The tenant domain the audit reports: never another tenant's (probe problem 3)."""

from __future__ import annotations

import json
from pathlib import Path

from sendscope.admin import AdminOptions, resolve_admin
from sendscope.auth.admin_tokens import LoginCache

FIRST = "11111111-2222-3333-4444-555555555555"
OTHER = "99999999-2222-3333-4444-555555555555"
ADMIN_ID = "aaaaaaaa-0000-0000-0000-000000000001"
ENV = {"SENDSCOPE_ADMIN_CLIENT_ID": ADMIN_ID, "SENDSCOPE_ADMIN_CLIENT_SECRET": "s3cret-value"}


def _emulator(tmp_path: Path) -> Path:
    directory = tmp_path / "emu"
    directory.mkdir(exist_ok=True)
    first = {"id": FIRST, "domain": "contoso.onmicrosoft.com", "apps": []}
    info = {"url": "https://127.0.0.1:9", "ca_cert": str(directory / "ca.pem"), "tenants": [first]}
    (directory / "emulator.json").write_text(json.dumps(info))
    return directory


def _domain(tmp_path: Path, tenant: str | None) -> str | None:
    options = AdminOptions(emulator=_emulator(tmp_path), tenant=tenant)
    logins = LoginCache(tmp_path / "login.json")
    return resolve_admin(options, env=ENV, logins=logins).tenant_domain


def test_a_tenant_emulator_json_does_not_list_is_not_given_the_first_ones_domain(
    tmp_path: Path,
) -> None:
    assert _domain(tmp_path, "dombug.onmicrosoft.com") == "dombug.onmicrosoft.com"


def test_a_tenant_id_emulator_json_does_not_list_leaves_the_domain_to_the_mailboxes(
    tmp_path: Path,
) -> None:
    assert _domain(tmp_path, OTHER) is None


def test_the_listed_tenant_keeps_its_domain_by_id_domain_or_default(tmp_path: Path) -> None:
    for tenant in (FIRST, "CONTOSO.onmicrosoft.com", None):
        assert _domain(tmp_path, tenant) == "contoso.onmicrosoft.com"


def test_a_real_tenant_named_by_domain_is_its_own_domain() -> None:
    options = AdminOptions(tenant="Fabrikam.com")
    connection = resolve_admin(options, env=ENV, logins=LoginCache(Path("/nonexistent/l.json")))
    assert connection.tenant_domain == "fabrikam.com"
