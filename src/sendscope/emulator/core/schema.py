"""The emulator database's tables: one per kind of object, lookup columns plus ``props`` JSON.

``SCHEMA_VERSION`` changes when a table changes shape; a data directory of another version
is refused with a sentence (``Store``), never migrated silently.
"""

from __future__ import annotations

__all__ = ["SCHEMA", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS tenants (
    id TEXT PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    auto_mailbox INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}'
);

-- Entra users. Shared mailboxes and mail users have a user object too, as in Entra.
CREATE TABLE IF NOT EXISTS users (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    upn TEXT NOT NULL COLLATE NOCASE,
    mail TEXT COLLATE NOCASE,
    mail_nickname TEXT,
    display_name TEXT NOT NULL,
    account_enabled INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, upn)
);
CREATE INDEX IF NOT EXISTS users_mail ON users (tenant_id, mail);
CREATE INDEX IF NOT EXISTS users_seq ON users (tenant_id, seq);

CREATE TABLE IF NOT EXISTS user_licenses (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sku_id TEXT NOT NULL,
    disabled_plans TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, user_id, sku_id)
);

-- Entra groups: security, Microsoft 365, and the mail-enabled ones Exchange made.
CREATE TABLE IF NOT EXISTS groups (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    mail_nickname TEXT,
    mail TEXT COLLATE NOCASE,
    mail_enabled INTEGER NOT NULL,
    security_enabled INTEGER NOT NULL,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS groups_mail ON groups (tenant_id, mail);
CREATE INDEX IF NOT EXISTS groups_seq ON groups (tenant_id, seq);

CREATE TABLE IF NOT EXISTS group_members (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT NOT NULL,   -- user | group | servicePrincipal
    PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE INDEX IF NOT EXISTS group_members_member ON group_members (tenant_id, member_id);

-- Exchange recipients, keyed by the Entra object they belong to (ExternalDirectoryObjectId).
-- recipient_type_details: UserMailbox, SharedMailbox, MailUser,
-- MailUniversalSecurityGroup, MailUniversalDistributionGroup.
CREATE TABLE IF NOT EXISTS recipients (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    guid TEXT NOT NULL,
    sid TEXT NOT NULL,
    recipient_type_details TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    display_name TEXT NOT NULL,
    primary_smtp TEXT NOT NULL COLLATE NOCASE,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, object_id)
);
CREATE INDEX IF NOT EXISTS recipients_smtp ON recipients (tenant_id, primary_smtp);
CREATE INDEX IF NOT EXISTS recipients_seq ON recipients (tenant_id, seq);

CREATE TABLE IF NOT EXISTS applications (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id)
);

-- Client secrets: only a hash is kept, as Entra keeps no readable copy either.
CREATE TABLE IF NOT EXISTS password_credentials (
    tenant_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    hint TEXT NOT NULL,
    display_name TEXT,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    PRIMARY KEY (tenant_id, application_id, key_id)
);

CREATE TABLE IF NOT EXISTS key_credentials (
    tenant_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    thumbprint_sha1 TEXT NOT NULL,
    thumbprint_sha256 TEXT NOT NULL,
    cert_der BLOB NOT NULL,
    display_name TEXT,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    PRIMARY KEY (tenant_id, application_id, key_id)
);

CREATE TABLE IF NOT EXISTS service_principals (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    account_enabled INTEGER NOT NULL DEFAULT 1,
    app_owner_tenant_id TEXT,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id)
);

CREATE TABLE IF NOT EXISTS app_role_assignments (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    app_role_id TEXT NOT NULL,
    created TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, principal_id, resource_id, app_role_id)
);
CREATE INDEX IF NOT EXISTS ara_resource ON app_role_assignments (tenant_id, resource_id, seq);

CREATE TABLE IF NOT EXISTS directory_role_assignments (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    directory_scope_id TEXT NOT NULL DEFAULT '/',
    created TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, principal_id, role_definition_id, directory_scope_id)
);
CREATE INDEX IF NOT EXISTS dra_principal ON directory_role_assignments (tenant_id, principal_id);

-- Mailbox content. folder: inbox | sentitems | drafts.
CREATE TABLE IF NOT EXISTS messages (
    tenant_id TEXT NOT NULL,
    mailbox_id TEXT NOT NULL,
    id TEXT NOT NULL,
    folder TEXT NOT NULL,
    created TEXT NOT NULL,
    data TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, mailbox_id, id)
);
CREATE INDEX IF NOT EXISTS messages_folder ON messages (tenant_id, mailbox_id, folder, seq);

-- Every message submitted through the emulator, as a mail catcher keeps it.
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    app_id TEXT,
    mailbox TEXT NOT NULL,
    subject TEXT NOT NULL,
    recipients TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS device_codes (
    device_code TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    status TEXT NOT NULL,        -- pending | approved | declined | redeemed
    user_id TEXT
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_sha256 TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires REAL NOT NULL
);

-- The emulator's own test credentials, written to emulator.json on every start.
CREATE TABLE IF NOT EXISTS seed_credentials (
    tenant_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL,           -- admin | app
    name TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (tenant_id, ord)
);

-- Exchange Application Access Policies (New-ApplicationAccessPolicy): one row per app and
-- scope, as Exchange keeps them. app_id is a client id or '*'; scope_id the scope
-- recipient's object id.
CREATE TABLE IF NOT EXISTS application_access_policies (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    access_right TEXT NOT NULL,   -- RestrictAccess | DenyAccess
    scope_id TEXT NOT NULL,
    description TEXT NOT NULL,
    created TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, app_id, scope_id)
);

-- Every change that can alter an access-policy verdict, in emulator time: Graph enforces
-- each one only after its propagation delay (core/propagation.py).
CREATE TABLE IF NOT EXISTS access_policy_changes (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,           -- policy | member
    subject TEXT NOT NULL,        -- policy id | group object id
    object TEXT NOT NULL,         -- '' | member object id
    op TEXT NOT NULL,             -- add | remove
    changed_at REAL NOT NULL,     -- emulator time, epoch seconds
    data TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, seq)
);
"""
