"""A synthetic tenant at audit scale: 100,000 mailboxes, 3,000 nested groups, 300 apps.

What ``bench/audit_scale.py`` audits and ``tests/emulator/test_synthetic_tenant.py`` checks
at a small size. The shape follows what a large tenant holds (issue 6, "Benchmark"):

- user mailboxes and a few percent shared mailboxes (each with a disabled Entra user, as
  Exchange makes them), and some users without a mailbox;
- mail-enabled security groups in trees nested up to ``depth`` levels, with mailboxes as
  direct members (a few large ones, and a few empty ones);
- apps holding mailbox permissions (Graph ``Mail.*``, ``Calendars.*``, ``Contacts.*``,
  ``MailboxSettings.*``, ``MailboxItem.*``; Exchange ``full_access_as_app``), some also
  directory-changing ones or ``Exchange.ManageAsApp`` with an admin role; secrets and
  certificates, some expired; multi-tenant apps and managed identities (service principal
  only, no app registration here);
- Application Access Policies: RestrictAccess for most apps (some with two scopes, some
  scoped to one mailbox), DenyAccess-only for a few, one ``*`` DenyAccess (every app kept
  away from a group, as tenants do for executives), and a few for apps that no longer
  exist. Each with a one-space description: Exchange's policy space holds about 300 only
  that way ("set a one space character description", New-ApplicationAccessPolicy).

Everything random comes from one ``random.Random(seed)``: the same spec gives the same
tenant (object ids included), and :mod:`.bulk` writes it in one transaction.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..core.app_access import ALL_APPS, DENY_ACCESS, RESTRICT_ACCESS

__all__ = [
    "APP_PROFILES",
    "SyntheticApp",
    "SyntheticGroup",
    "SyntheticMailbox",
    "SyntheticPolicy",
    "SyntheticSpec",
    "SyntheticTenant",
    "generate",
]

# (weight, Graph app roles, Exchange app roles): what line-of-business apps ask for.
APP_PROFILES: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (40, ("Mail.Send",), ()),
    (12, ("Mail.Read",), ()),
    (6, ("Mail.ReadWrite",), ()),
    (10, ("Calendars.Read", "User.Read.All"), ()),
    (6, ("Calendars.ReadWrite",), ()),
    (6, ("Mail.Send", "Calendars.ReadWrite"), ()),
    (4, ("Contacts.Read", "MailboxSettings.Read"), ()),
    (3, ("MailboxItem.Read.All",), ()),
    (5, (), ("full_access_as_app",)),
    (3, ("Mail.Send", "Application.ReadWrite.All"), ()),
    (2, ("Mail.Read",), ("Exchange.ManageAsApp",)),
)
_DEPTH_SHARE = (0.05, 0.10, 0.20, 0.30, 0.35)  # of the groups at nesting levels 1..5
_EXCHANGE_ADMIN = "Exchange Administrator"
_GLOBAL_READER = "Global Reader"


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """The sizes of a synthetic tenant (``"synthetic"`` in a fixture, camelCase keys)."""

    mailboxes: int = 100_000
    shared_percent: int = 3
    groups: int = 3_000
    depth: int = 5
    apps: int = 300
    policies: int = 300
    seed: int = 6

    @classmethod
    def from_fixture(cls, data: dict[str, Any]) -> SyntheticSpec:
        names = {"sharedPercent": "shared_percent"}
        known = {"mailboxes", "groups", "depth", "apps", "policies", "seed", *names}
        unknown = sorted(set(data) - known)
        if unknown or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in data.values()
        ):
            raise ValueError(
                f"'synthetic' takes whole numbers for {', '.join(sorted(known))}"
                + (f"; not {', '.join(unknown)}" if unknown else "")
            )
        spec = cls(**{names.get(k, k): v for k, v in data.items()})
        spec.check()
        return spec

    def check(self) -> None:
        """Refuse sizes the generator cannot honour, naming the fixture field."""
        if not 10 <= self.mailboxes <= 1_000_000:
            raise ValueError(f"synthetic.mailboxes {self.mailboxes} must be 10 to 1000000")
        if not 0 <= self.shared_percent <= 50:
            raise ValueError(f"synthetic.sharedPercent {self.shared_percent} must be 0 to 50")
        if not 1 <= self.depth <= 5:
            raise ValueError(f"synthetic.depth {self.depth} must be 1 to 5")
        if self.groups < self.depth * 2:
            raise ValueError(
                f"synthetic.groups {self.groups} must be at least 2 per level of depth "
                f"({self.depth * 2})"
            )
        if self.apps < 10:
            raise ValueError(f"synthetic.apps {self.apps} must be at least 10")
        if not self.apps <= self.policies <= self.apps + self.groups:
            raise ValueError(
                f"synthetic.policies {self.policies} must be between synthetic.apps "
                f"({self.apps}) and apps + groups ({self.apps + self.groups})"
            )


@dataclass(frozen=True, slots=True)
class SyntheticMailbox:
    object_id: str
    alias: str
    display_name: str
    shared: bool  # a SharedMailbox (its user disabled) rather than a UserMailbox
    has_mailbox: bool = True  # False: a user without an Exchange licence


@dataclass(frozen=True, slots=True)
class SyntheticGroup:
    object_id: str
    alias: str
    display_name: str
    level: int  # 1 = a root; a group's parent is one level up
    members: tuple[str, ...]  # object ids of mailboxes
    children: list[str] = field(default_factory=list)  # object ids of nested groups


@dataclass(frozen=True, slots=True)
class SyntheticApp:
    app_id: str
    sp_id: str
    application_id: str | None  # None: a multi-tenant app or a managed identity
    display_name: str
    kind: str  # Application | ManagedIdentity | MultiTenant
    graph_roles: tuple[str, ...]
    exchange_roles: tuple[str, ...]
    directory_roles: tuple[str, ...]
    secrets_days: tuple[int, ...]  # days from now to each secret's end (negative: expired)
    certificates_days: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SyntheticPolicy:
    app_id: str  # a client id or "*"
    access_right: str
    scope_id: str  # a group's or a user mailbox's object id


@dataclass(frozen=True, slots=True)
class SyntheticTenant:
    """Everything :mod:`.bulk` writes, in the order it writes it."""

    spec: SyntheticSpec
    mailboxes: list[SyntheticMailbox]
    groups: list[SyntheticGroup]
    apps: list[SyntheticApp]
    policies: list[SyntheticPolicy]
    admin_users: list[str]  # object ids holding Global Administrator


def generate(spec: SyntheticSpec) -> SyntheticTenant:
    """The tenant ``spec`` describes; the same spec always gives the same tenant."""
    spec.check()
    rng = random.Random(spec.seed)
    mailboxes = _mailboxes(rng, spec)
    with_mailbox = [m for m in mailboxes if m.has_mailbox]
    groups = _groups(rng, spec, with_mailbox)
    apps = _apps(rng, spec)
    policies = _policies(rng, spec, apps, groups, with_mailbox)
    admins = [m.object_id for m in rng.sample(with_mailbox[:1000], 5) if not m.shared]
    return SyntheticTenant(spec, mailboxes, groups, apps, policies, admins)


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _mailboxes(rng: random.Random, spec: SyntheticSpec) -> list[SyntheticMailbox]:
    shared = spec.mailboxes * spec.shared_percent // 100
    users = spec.mailboxes - shared
    width = len(str(spec.mailboxes))
    found = [
        SyntheticMailbox(_id(rng), f"user{i:0{width}d}", f"User {i:0{width}d}", False)
        for i in range(1, users + 1)
    ]
    found += [
        SyntheticMailbox(_id(rng), f"shared{i:0{width}d}", f"Shared Mailbox {i:0{width}d}", True)
        for i in range(1, shared + 1)
    ]
    # One in a hundred more users hold no mailbox (no Exchange licence): Graph lists them,
    # Exchange does not.
    found += [
        SyntheticMailbox(
            _id(rng), f"nomail{i:0{width}d}", f"Unlicensed {i:0{width}d}", False, False
        )
        for i in range(1, spec.mailboxes // 100 + 1)
    ]
    return found


def _level_sizes(spec: SyntheticSpec) -> list[int]:
    shares = _DEPTH_SHARE[-spec.depth :]
    sizes = [max(2, round(spec.groups * s / sum(shares))) for s in shares]
    sizes[-1] += spec.groups - sum(sizes)
    return sizes


def _groups(
    rng: random.Random, spec: SyntheticSpec, mailboxes: list[SyntheticMailbox]
) -> list[SyntheticGroup]:
    width = len(str(spec.groups))
    groups: list[SyntheticGroup] = []
    previous: list[SyntheticGroup] = []
    for level, size in enumerate(_level_sizes(spec), start=1):
        current = []
        for _ in range(size):
            n = len(groups) + 1
            group = SyntheticGroup(
                _id(rng),
                f"sg{n:0{width}d}",
                f"SG {n:0{width}d} level {level}",
                level,
                _direct_members(rng, mailboxes, empty=n % 500 == 0),
            )
            if previous:
                rng.choice(previous).children.append(group.object_id)
            current.append(group)
        groups += current
        previous = current
    return groups


def _direct_members(
    rng: random.Random, mailboxes: list[SyntheticMailbox], *, empty: bool
) -> tuple[str, ...]:
    """Most groups hold a few dozen mailboxes; one in twenty holds hundreds to thousands."""
    if empty:
        return ()
    limit = min(len(mailboxes), 2000)
    if rng.random() < 0.05:
        count = rng.randint(min(200, limit), limit)  # a small tenant has no group of hundreds
    else:
        count = rng.randint(3, min(30, limit))
    return tuple(m.object_id for m in rng.sample(mailboxes, count))


def _apps(rng: random.Random, spec: SyntheticSpec) -> list[SyntheticApp]:
    weights = [p[0] for p in APP_PROFILES]
    apps = []
    for n in range(1, spec.apps + 1):
        _, graph, exchange = rng.choices(APP_PROFILES, weights)[0]
        kind = "Application"
        if n % 25 == 0:
            kind = "ManagedIdentity"
        elif n % 20 == 0:
            kind = "MultiTenant"
        directory = (_EXCHANGE_ADMIN,) if "Exchange.ManageAsApp" in exchange else ()
        if n % 60 == 0:
            directory = (*directory, _GLOBAL_READER)
        registered = kind == "Application"
        apps.append(
            SyntheticApp(
                _id(rng),
                _id(rng),
                _id(rng) if registered else None,
                f"LOB App {n:03d}",
                kind,
                graph,
                exchange,
                directory,
                _secret_days(rng) if registered else (),
                _certificate_days(rng) if registered else (),
            )
        )
    return apps


def _secret_days(rng: random.Random) -> tuple[int, ...]:
    """Six in ten apps hold a secret; some expired, some about to expire."""
    if rng.random() < 0.4:
        return ()
    return tuple(rng.choice((-90, -5, 10, 25, 180, 365, 700)) for _ in range(rng.randint(1, 2)))


def _certificate_days(rng: random.Random) -> tuple[int, ...]:
    return (rng.choice((-30, 20, 400, 1000)),) if rng.random() < 0.4 else ()


def _policies(
    rng: random.Random,
    spec: SyntheticSpec,
    apps: list[SyntheticApp],
    groups: list[SyntheticGroup],
    mailboxes: list[SyntheticMailbox],
) -> list[SyntheticPolicy]:
    """``spec.policies`` policies: one ``*`` deny, three for deleted apps, a deny-only few,
    the rest RestrictAccess (to one group, two groups, or one user mailbox)."""
    users = [m for m in mailboxes if not m.shared]
    scopes = [g.object_id for g in groups]
    policies = [SyntheticPolicy(ALL_APPS, DENY_ACCESS, groups[0].object_id)]
    policies += [SyntheticPolicy(_id(rng), RESTRICT_ACCESS, rng.choice(scopes)) for _ in range(3)]
    order = rng.sample(apps, len(apps))
    deny_only, restricted = order[: len(apps) // 30], order[len(apps) // 30 :]
    policies += [SyntheticPolicy(a.app_id, DENY_ACCESS, rng.choice(scopes)) for a in deny_only]
    room = spec.policies - len(policies)
    restricted = restricted[: min(len(restricted), room * 4 // 5)]
    for app in restricted:
        scope = rng.choice(users).object_id if rng.random() < 0.1 else rng.choice(scopes)
        policies.append(SyntheticPolicy(app.app_id, RESTRICT_ACCESS, scope))
    taken = {(p.app_id, p.scope_id) for p in policies}
    while len(policies) < spec.policies:
        app, scope = rng.choice(restricted), rng.choice(scopes)
        if (app.app_id, scope) not in taken:
            taken.add((app.app_id, scope))
            policies.append(SyntheticPolicy(app.app_id, RESTRICT_ACCESS, scope))
    return policies
