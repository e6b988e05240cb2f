"""Tenants from a JSON fixture (docs/emulator.md, "Fixtures", documents the format).

A fixture builds a tenant the way an admin would: users (with or without mailboxes),
shared mailboxes, groups, apps with their permissions and directory roles. The ``demo``
and ``empty`` seeds are fixtures too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..core.directory import EXCHANGE_APP_ID, GRAPH_APP_ID, Directory
from ..core.roles import role_id
from ..core.state import EmulatorState
from ..core.store import dumps, loads
from .bulk import write_synthetic
from .resources import add_resource_service_principals
from .synthetic import SyntheticSpec, generate

__all__ = [
    "FixtureError",
    "SeedCredential",
    "apply_fixture",
    "credentials_json",
    "load_credentials",
]

_GROUP_KINDS = {
    # kind: (mailEnabled, securityEnabled, groupTypes, Exchange recipient type)
    "security": (False, True, [], None),
    "microsoft365": (True, False, ["Unified"], None),
    "mailEnabledSecurity": (True, True, [], "MailUniversalSecurityGroup"),
    "distribution": (True, False, [], "MailUniversalDistributionGroup"),
}
_MAILBOX_KINDS = ("UserMailbox", "SharedMailbox", "MailUser", "none", "auto")


class FixtureError(ValueError):
    """A fixture that cannot be applied; the message names the value and what to do."""


@dataclass(frozen=True, slots=True)
class SeedCredential:
    kind: str  # admin | app
    name: str
    client_id: str
    client_secret: str
    roles: tuple[str, ...]


def credentials_json(
    tenant_id: str, domain: str, credentials: Iterable[SeedCredential]
) -> dict[str, Any]:
    """A tenant as emulator.json and ``GET /_emulator/tenants/{id}`` both show it."""
    creds = list(credentials)
    admin = next((c for c in creds if c.kind == "admin"), None)
    return {
        "id": tenant_id,
        "domain": domain,
        "admin": None
        if admin is None
        else {"client_id": admin.client_id, "client_secret": admin.client_secret},
        "apps": [
            {
                "name": c.name,
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "roles": list(c.roles),
            }
            for c in creds
            if c.kind == "app"
        ],
    }


def apply_fixture(state: EmulatorState, fixture: dict[str, Any]) -> str:
    """Create the tenant a fixture describes; return its id. All or nothing."""
    if not isinstance(fixture, dict):
        raise FixtureError("a tenant fixture is a JSON object")
    domain = _text(fixture, "domain", "the tenant's domain, e.g. contoso.onmicrosoft.com")
    if state.tenant(domain) is not None:
        raise FixtureError(f"a tenant with domain {domain!r} exists already: pick another domain")
    with state.store.tx():
        return _Builder(state, domain, fixture).build()


def _objects(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise FixtureError(f"fixture field {key!r} must be a list of objects")
    return value


def _strings(data: dict[str, Any], key: str, owner: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FixtureError(f"{owner}: {key!r} must be a list of strings")
    return value


def _check_tenant_id(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise FixtureError(f"fixture field 'id' {value!r} must be a tenant GUID") from None


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FixtureError(f"fixture field {key!r} must be a non-empty string: {what}")
    return value.strip()


class _Builder:
    def __init__(self, state: EmulatorState, domain: str, fixture: dict[str, Any]) -> None:
        self.state = state
        self.directory = Directory(state.store)
        self.domain = domain
        self.fixture = fixture
        self.now = state.clock.now()
        self.tid = ""
        self.names: dict[str, tuple[str, str]] = {}  # upn / group name -> (object id, type)
        self.credentials = 0

    def build(self) -> str:
        fx = self.fixture
        self.tid = self.directory.create_tenant(
            self.domain,
            str(fx.get("displayName") or self.domain.split(".")[0].title()),
            tenant_id=_check_tenant_id(fx.get("id")),
            auto_mailbox=bool(fx.get("autoMailbox", True)),
            now=self.now,
        )
        add_resource_service_principals(self.directory, self.tid, now=self.now)
        props = self.directory.tenant_props(self.tid)
        props["domains"] = [self.domain, *fx.get("extraDomains", [])]
        props["subscribedSkus"] = fx.get("subscribedSkus", _DEFAULT_SKUS)
        self.directory.set_tenant_props(self.tid, props)
        for user in _objects(fx, "users"):
            self._user(user)
        self._bulk_users(fx.get("bulkUsers"))
        for group in _objects(fx, "groups"):
            self._group(group)
        for app in _objects(fx, "apps"):
            self._app(app)
        self._synthetic(fx.get("synthetic"))
        return self.tid

    def _address(self, local_or_upn: str) -> str:
        return local_or_upn if "@" in local_or_upn else f"{local_or_upn}@{self.domain}"

    def _user(self, spec: dict[str, Any]) -> None:
        upn = self._address(_text(spec, "userPrincipalName", "e.g. ceo@contoso.onmicrosoft.com"))
        kind = spec.get("mailbox", "auto")
        if kind not in _MAILBOX_KINDS:
            raise FixtureError(
                f"user {upn}: mailbox {kind!r} is not one of {', '.join(_MAILBOX_KINDS)}"
            )
        if upn.lower() in self.names:
            raise FixtureError(f"user {upn} is defined twice")
        shared = kind == "SharedMailbox"
        uid = self.directory.create_user(
            self.tid,
            upn=upn,
            display_name=str(spec.get("displayName") or upn.split("@")[0]),
            account_enabled=bool(spec.get("accountEnabled", not shared)),
            props={k: spec[k] for k in ("jobTitle", "department", "usageLocation") if k in spec},
            mailbox=None if kind == "none" else kind,
            now=self.now,
        )
        self.names[upn.lower()] = (uid, "user")
        for role in _strings(spec, "directoryRoles", f"user {upn}"):
            self._role(uid, role, upn)

    def _bulk_users(self, spec: dict[str, Any] | None) -> None:
        if not spec:
            return
        if not isinstance(spec, dict) or not isinstance(spec.get("count"), int):
            raise FixtureError(
                "fixture field 'bulkUsers' must be an object like "
                '{"count": 100000, "prefix": "user"}'
            )
        count, prefix = spec["count"], str(spec.get("prefix", "user"))
        if not 0 < count <= 1_000_000:
            raise FixtureError(f"bulkUsers.count {count} must be between 1 and 1000000")
        width = len(str(count))
        self.directory.bulk_create_users(
            self.tid,
            (
                (f"{prefix}{i:0{width}d}@{self.domain}", f"{prefix.title()} {i:0{width}d}")
                for i in range(1, count + 1)
            ),
            now=self.now,
        )

    def _synthetic(self, spec: Any) -> None:
        """``"synthetic": {"mailboxes": 100000, ...}``: a generated tenant at audit scale
        (seeds/synthetic.py), written in bulk."""
        if spec is None:
            return
        if not isinstance(spec, dict):
            raise FixtureError("fixture field 'synthetic' must be an object of sizes")
        try:
            tenant = generate(SyntheticSpec.from_fixture(spec))
        except ValueError as exc:
            raise FixtureError(str(exc)) from None
        write_synthetic(self.state.store, self.tid, self.domain, tenant, now=self.now)

    def _group(self, spec: dict[str, Any]) -> None:
        name = _text(spec, "displayName", "the group's name")
        kind = spec.get("kind", "security")
        if kind not in _GROUP_KINDS:
            raise FixtureError(
                f"group {name}: kind {kind!r} is not one of {', '.join(_GROUP_KINDS)}"
            )
        mail_enabled, security_enabled, types, recipient_type = _GROUP_KINDS[kind]
        nick = str(spec.get("mailNickname") or name.replace(" ", "").lower())
        mail = self._address(nick) if mail_enabled else None
        gid = self.directory.create_group(
            self.tid,
            display_name=name,
            mail_nickname=nick,
            mail=mail,
            mail_enabled=mail_enabled,
            security_enabled=security_enabled,
            group_types=types,
            now=self.now,
        )
        if recipient_type and mail:
            self.directory.add_recipient(
                self.tid, gid, recipient_type, nick, name, mail, now=self.now
            )
        for member in _strings(spec, "members", f"group {name}"):
            found = self.names.get(self._address(member).lower()) or self.names.get(member.lower())
            if found is None:
                raise FixtureError(
                    f"group {name}: member {member!r} is not a user or group "
                    "defined earlier in the fixture"
                )
            self.directory.add_member(self.tid, gid, *found)
        self.names[name.lower()] = (gid, "group")

    def _app(self, spec: dict[str, Any]) -> None:
        name = _text(spec, "displayName", "the app's name")
        props = {"isFallbackPublicClient": True} if spec.get("publicClient") else None
        oid, app_id = self.directory.create_application(
            self.tid, name, app_id=spec.get("appId"), now=self.now, props=props
        )
        sp_id = self.directory.create_service_principal(self.tid, app_id, name, now=self.now)
        self._grant(sp_id, GRAPH_APP_ID, _strings(spec, "roles", f"app {name}"), name)
        self._grant(sp_id, EXCHANGE_APP_ID, _strings(spec, "exchangeRoles", f"app {name}"), name)
        for role in _strings(spec, "directoryRoles", f"app {name}"):
            self._role(sp_id, role, name)
        secret = self.directory.add_password(
            self.tid,
            oid,
            display_name="sendscope emulator",
            start=self.now,
            end=self.now + timedelta(days=int(spec.get("secretDays", 730))),
        )["secretText"]
        roles = [*spec.get("roles", []), *spec.get("exchangeRoles", [])]
        kind = "admin" if spec.get("admin") else "app"
        self.state.store.execute(
            "INSERT INTO seed_credentials (tenant_id, ord, kind, name, client_id, client_secret, "
            "roles) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.tid, self.credentials, kind, name, app_id, secret, dumps(roles)),
        )
        self.credentials += 1

    def _grant(self, sp_id: str, resource_app_id: str, values: list[str], app: str) -> None:
        resource = self.directory.service_principal_by_app_id(self.tid, resource_app_id)
        assert resource is not None
        for value in values:
            try:
                role = self.directory.app_role_id(self.tid, resource_app_id, value)
            except KeyError:
                raise FixtureError(
                    f"app {app}: {value!r} is not an application permission of "
                    f"{resource['display_name']}"
                ) from None
            self.directory.assign_app_role(self.tid, sp_id, resource["id"], role, now=self.now)

    def _role(self, principal_id: str, role: str, who: str) -> None:
        try:
            self.directory.assign_directory_role(
                self.tid, principal_id, role_id(role), now=self.now
            )
        except KeyError as exc:
            raise FixtureError(f"{who}: {exc.args[0]}") from None


# An Exchange-bearing licence, as a tenant's subscribedSkus lists it (Microsoft 365 E3).
_DEFAULT_SKUS: list[dict[str, Any]] = [
    {
        "skuId": "05e9a617-0261-4cee-bb44-138d3ef5d965",
        "skuPartNumber": "SPE_E3",
        "prepaidUnits": {"enabled": 100000, "suspended": 0, "warning": 0},
        "servicePlans": [
            {
                "servicePlanId": "efb87545-963c-4e0d-99df-69c6916d9eb0",
                "servicePlanName": "EXCHANGE_S_ENTERPRISE",
                "appliesTo": "User",
            },
        ],
    }
]


def load_credentials(state: EmulatorState, tenant_id: str) -> list[SeedCredential]:
    rows = state.store.all(
        "SELECT * FROM seed_credentials WHERE tenant_id = ? ORDER BY ord", (tenant_id,)
    )
    return [
        SeedCredential(
            r["kind"], r["name"], r["client_id"], r["client_secret"], tuple(loads(r["roles"]))
        )
        for r in rows
    ]
