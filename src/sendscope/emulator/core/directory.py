"""The tenant directory both Graph and Exchange see: users, groups, recipients, apps.

Storage and the invariants that hold whichever API writes (a new user gets a mailbox when
the tenant auto-provisions them; a mail-enabled group is a recipient too). The rules of
each API — what Graph refuses, what Exchange refuses — live in that service's models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .directory_apps import ApplicationDirectory, default_secret_lifetime, new_client_secret
from .ids import guid, iso_utc, sid_for
from .store import Row, Store, dumps, loads

__all__ = [
    "EXCHANGE_APP_ID",
    "EXCHANGE_RESOURCE",
    "GRAPH_APP_ID",
    "GRAPH_RESOURCE",
    "GROUP_TYPES",
    "MAILBOX_TYPES",
    "Directory",
    "Mailbox",
    "default_secret_lifetime",
    "new_client_secret",
]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"
EXCHANGE_RESOURCE = "https://outlook.office365.com"

# Exchange recipients that hold a mailbox, and the mail-enabled groups (RecipientTypeDetails).
MAILBOX_TYPES = frozenset({"UserMailbox", "SharedMailbox"})
GROUP_TYPES = frozenset({"MailUniversalSecurityGroup", "MailUniversalDistributionGroup"})


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An Exchange mailbox as Graph's mail endpoints reach it."""

    tenant_id: str
    object_id: str
    primary_smtp: str
    display_name: str
    recipient_type_details: str


class Directory(ApplicationDirectory):
    """Rows of one store, by tenant. Every write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- tenants -----------------------------------------------------------------------

    def create_tenant(
        self,
        domain: str,
        display_name: str,
        *,
        tenant_id: str | None = None,
        auto_mailbox: bool = True,
        now: datetime,
    ) -> str:
        tid = (tenant_id or guid()).lower()
        # A tenant made today looks like one made years ago (xms_tcdt precedes iat).
        created = int(now.timestamp()) - 3 * 365 * 86400
        props = {"domains": [domain], "createdEpoch": created, "subscribedSkus": []}
        self.store.execute(
            "INSERT INTO tenants (id, domain, display_name, auto_mailbox, created, props) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (tid, domain, display_name, int(auto_mailbox), iso_utc(now), dumps(props)),
        )
        return tid

    def tenant_props(self, tenant_id: str) -> dict[str, Any]:
        value = self.store.scalar("SELECT props FROM tenants WHERE id = ?", (tenant_id,))
        return dict(loads(value)) if value else {}

    def set_tenant_props(self, tenant_id: str, props: dict[str, Any]) -> None:
        self.store.execute("UPDATE tenants SET props = ? WHERE id = ?", (dumps(props), tenant_id))

    # -- users and mailboxes -----------------------------------------------------------

    def create_user(
        self,
        tenant_id: str,
        *,
        upn: str,
        display_name: str,
        mail_nickname: str | None = None,
        account_enabled: bool = True,
        props: dict[str, Any] | None = None,
        mailbox: str | None = "auto",
        now: datetime,
        user_id: str | None = None,
    ) -> str:
        """Add a user. ``mailbox``: "auto" (the tenant's rule), None, or a recipient type."""
        uid = user_id or guid()
        nickname = mail_nickname or upn.split("@", 1)[0]
        with self.store.tx():
            if mailbox == "auto":
                mailbox = "UserMailbox" if self._auto_mailbox(tenant_id) else None
            self.store.execute(
                "INSERT INTO users (tenant_id, id, upn, mail, mail_nickname, display_name, "
                "account_enabled, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    uid,
                    upn,
                    upn if mailbox else None,
                    nickname,
                    display_name,
                    int(account_enabled),
                    iso_utc(now),
                    dumps(props or {}),
                    self.store.next_seq(),
                ),
            )
            if mailbox:
                self.add_recipient(tenant_id, uid, mailbox, nickname, display_name, upn, now=now)
        return uid

    def bulk_create_users(
        self, tenant_id: str, users: Iterable[tuple[str, str]], *, now: datetime
    ) -> int:
        """Add many (upn, display name) users at once, with mailboxes: 100,000 in seconds."""
        stamp, with_mailbox = iso_utc(now), self._auto_mailbox(tenant_id)
        user_rows, recipient_rows = [], []
        for upn, display_name in users:
            uid, seq, nick = guid(), self.store.next_seq(), upn.split("@", 1)[0]
            user_rows.append(
                (
                    tenant_id,
                    uid,
                    upn,
                    upn if with_mailbox else None,
                    nick,
                    display_name,
                    1,
                    stamp,
                    "{}",
                    seq,
                )
            )
            if with_mailbox:
                recipient_rows.append(
                    (
                        tenant_id,
                        uid,
                        guid(),
                        sid_for(tenant_id, seq),
                        "UserMailbox",
                        nick,
                        nick,
                        display_name,
                        upn,
                        stamp,
                        "{}",
                        seq,
                    )
                )
        with self.store.tx():
            self.store.executemany(
                "INSERT INTO users (tenant_id, id, upn, mail, mail_nickname, display_name, "
                "account_enabled, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                user_rows,
            )
            self.store.executemany(_INSERT_RECIPIENT, recipient_rows)
        return len(user_rows)

    def _auto_mailbox(self, tenant_id: str) -> bool:
        return bool(
            self.store.scalar("SELECT auto_mailbox FROM tenants WHERE id = ?", (tenant_id,))
        )

    def add_recipient(
        self,
        tenant_id: str,
        object_id: str,
        recipient_type_details: str,
        alias: str,
        display_name: str,
        primary_smtp: str,
        *,
        name: str | None = None,
        props: dict[str, Any] | None = None,
        now: datetime,
    ) -> None:
        seq = self.store.next_seq()
        self.store.execute(
            _INSERT_RECIPIENT,
            (
                tenant_id,
                object_id,
                guid(),
                sid_for(tenant_id, seq),
                recipient_type_details,
                name or alias,
                alias,
                display_name,
                primary_smtp,
                iso_utc(now),
                dumps(props or {}),
                seq,
            ),
        )

    def remove_recipient(self, tenant_id: str, object_id: str) -> None:
        self.store.execute(
            "DELETE FROM recipients WHERE tenant_id = ? AND object_id = ?", (tenant_id, object_id)
        )

    def user(self, tenant_id: str, ref: str) -> Row | None:
        """A user by object id or userPrincipalName."""
        column = "upn" if "@" in ref else "id"
        return self.store.one(
            f"SELECT * FROM users WHERE tenant_id = ? AND {column} = ?",  # noqa: S608
            (tenant_id, ref if column == "upn" else ref.lower()),
        )

    def recipient(self, tenant_id: str, object_id: str) -> Row | None:
        return self.store.one(
            "SELECT * FROM recipients WHERE tenant_id = ? AND object_id = ?", (tenant_id, object_id)
        )

    def recipient_by_address(self, tenant_id: str, address: str) -> Row | None:
        row = self.store.one(
            "SELECT * FROM recipients WHERE tenant_id = ? AND primary_smtp = ?",
            (tenant_id, address),
        )
        if row is not None:
            return row
        return self.store.one(
            "SELECT r.* FROM recipients r, json_each(r.props, '$.emailAddresses') a "
            "WHERE r.tenant_id = ? AND a.value = ? COLLATE NOCASE",
            (tenant_id, address),
        )

    def mailbox(self, tenant_id: str, user_id: str) -> Mailbox | None:
        """The Exchange mailbox of an Entra user, or None (no licence, or a mail user)."""
        row = self.recipient(tenant_id, user_id)
        if row is None or row["recipient_type_details"] not in MAILBOX_TYPES:
            return None
        return Mailbox(
            tenant_id,
            user_id,
            row["primary_smtp"],
            row["display_name"],
            row["recipient_type_details"],
        )

    def user_mailbox(self, tenant_id: str, ref: str) -> tuple[str, Mailbox | None] | None:
        """(user id, its mailbox or None) for a user id or UPN in one query; None if no user."""
        column = "u.upn" if "@" in ref else "u.id"
        row = self.store.one(
            "SELECT u.id, r.primary_smtp, r.display_name, r.recipient_type_details "  # noqa: S608
            "FROM users u LEFT JOIN recipients r ON r.tenant_id = u.tenant_id "
            f"AND r.object_id = u.id WHERE u.tenant_id = ? AND {column} = ?",
            (tenant_id, ref if "@" in ref else ref.lower()),
        )
        if row is None:
            return None
        if row["recipient_type_details"] not in MAILBOX_TYPES:
            return row["id"], None
        return row["id"], Mailbox(
            tenant_id,
            row["id"],
            row["primary_smtp"],
            row["display_name"],
            row["recipient_type_details"],
        )

    @staticmethod
    def mailbox_from_recipient(row: Row) -> Mailbox | None:
        """The mailbox a recipient row stands for, without another query."""
        if row["recipient_type_details"] not in MAILBOX_TYPES:
            return None
        return Mailbox(
            row["tenant_id"],
            row["object_id"],
            row["primary_smtp"],
            row["display_name"],
            row["recipient_type_details"],
        )

    # -- groups ------------------------------------------------------------------------

    def create_group(
        self,
        tenant_id: str,
        *,
        display_name: str,
        mail_nickname: str | None,
        mail_enabled: bool,
        security_enabled: bool,
        group_types: Sequence[str] = (),
        mail: str | None = None,
        props: dict[str, Any] | None = None,
        now: datetime,
        group_id: str | None = None,
    ) -> str:
        gid = group_id or guid()
        full = {"groupTypes": list(group_types), **(props or {})}
        self.store.execute(
            "INSERT INTO groups (tenant_id, id, display_name, mail_nickname, mail, mail_enabled, "
            "security_enabled, created, props, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                gid,
                display_name,
                mail_nickname,
                mail,
                int(mail_enabled),
                int(security_enabled),
                iso_utc(now),
                dumps(full),
                self.store.next_seq(),
            ),
        )
        return gid

    def group(self, tenant_id: str, group_id: str) -> Row | None:
        return self.store.one(
            "SELECT * FROM groups WHERE tenant_id = ? AND id = ?", (tenant_id, group_id.lower())
        )

    def object_type(self, tenant_id: str, object_id: str) -> str | None:
        """``user``, ``group`` or ``servicePrincipal`` for a directory object id."""
        for table, kind in (
            ("users", "user"),
            ("groups", "group"),
            ("service_principals", "servicePrincipal"),
        ):
            found = self.store.scalar(
                f"SELECT 1 FROM {table} WHERE tenant_id = ? AND id = ?",  # noqa: S608
                (tenant_id, object_id.lower()),
            )
            if found:
                return kind
        return None

    def add_member(self, tenant_id: str, group_id: str, member_id: str, member_type: str) -> bool:
        """Add a direct member; False if it was one already."""
        changed = self.store.execute(
            "INSERT OR IGNORE INTO group_members (tenant_id, group_id, member_id, member_type) "
            "VALUES (?, ?, ?, ?)",
            (tenant_id, group_id, member_id, member_type),
        )
        return changed > 0

    def remove_member(self, tenant_id: str, group_id: str, member_id: str) -> bool:
        changed = self.store.execute(
            "DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND member_id = ?",
            (tenant_id, group_id, member_id),
        )
        return changed > 0

    def members(self, tenant_id: str, group_id: str) -> list[tuple[str, str]]:
        """Direct members as (object id, type)."""
        rows = self.store.all(
            "SELECT member_id, member_type FROM group_members WHERE tenant_id = ? AND group_id = ? "
            "ORDER BY rowid",
            (tenant_id, group_id),
        )
        return [(r[0], r[1]) for r in rows]

    def transitive_members(self, tenant_id: str, group_id: str) -> list[tuple[str, str]]:
        """Every member through nested groups, each once (cycles are harmless)."""
        rows = self.store.all(
            """
            WITH RECURSIVE walk(member_id, member_type) AS (
                SELECT member_id, member_type FROM group_members
                 WHERE tenant_id = :t AND group_id = :g
                UNION
                SELECT m.member_id, m.member_type FROM group_members m
                  JOIN walk w ON w.member_type = 'group' AND m.group_id = w.member_id
                 WHERE m.tenant_id = :t
            )
            SELECT DISTINCT member_id, member_type FROM walk WHERE member_id != :g
            """,
            {"t": tenant_id, "g": group_id},  # type: ignore[arg-type]
        )
        return [(r[0], r[1]) for r in rows]


_INSERT_RECIPIENT = (
    "INSERT INTO recipients (tenant_id, object_id, guid, sid, recipient_type_details, name, "
    "alias, display_name, primary_smtp, created, props, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
