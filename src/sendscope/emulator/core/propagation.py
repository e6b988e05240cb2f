"""Propagation: the access-policy configuration as Graph currently sees it.

"Changes to application access policies can take longer than 1 hour to take effect in
Microsoft Graph REST API calls, even when Test-ApplicationAccessPolicy shows positive
results" (learn.microsoft.com/graph/auth-limit-mailbox-access); a removal "might take up to
30 minutes to go live" (Remove-ApplicationAccessPolicy). The Exchange cmdlets read and write
the configuration as it is; Graph's mailbox endpoints answer from this module.

The model. Every change that can alter a verdict — a policy created or removed, a member
added to or removed from a mail-enabled group — is appended to ``access_policy_changes``
with its emulator time. A change reaches Graph once its own delay has passed:
``--propagation-delay`` for additions, ``--removal-delay`` for removals. For each element (a
policy; a group-member edge) Graph sees the *last change that has reached it*, in the order
the changes were made; an element none of whose changes has reached Graph is as it was
before its first change; an element never changed is as it is now. Once every delay has
passed, Graph's view is the configuration as it is.

Cost. ``sendMail`` is a hot path: a tenant that never had a policy is answered from an
in-memory set without touching the database; otherwise the view is rebuilt only when the
log grows or the next pending change comes due.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .app_access import PolicyRule, access_granted
from .state import EmulatorState
from .store import Row, Store, dumps, loads

__all__ = [
    "ADD",
    "REMOVE",
    "Delays",
    "PropagatedView",
    "build_view",
    "graph_access_granted",
    "record_membership",
    "record_policy",
]

ADD = "add"
REMOVE = "remove"

_INSERT = (
    "INSERT INTO access_policy_changes (tenant_id, seq, kind, subject, object, op, changed_at, "
    "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_NO_MEMBERS: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Delays:
    """How long a change takes to reach Graph, in emulator seconds."""

    addition: float
    removal: float

    def of(self, op: str) -> float:
        return self.removal if op == REMOVE else self.addition


# -- recording -----------------------------------------------------------------------------


def record_policy(
    state: EmulatorState,
    tenant_id: str,
    policy_id: str,
    op: str,
    rule: PolicyRule,
    *,
    at: float,
) -> None:
    """Log a policy created (``ADD``) or removed (``REMOVE``) at emulator time ``at``."""
    data = {"appId": rule.app_id, "accessRight": rule.access_right, "scopeId": rule.scope_id}
    _append(state, tenant_id, ("policy", policy_id, "", op, at, dumps(data)))


def record_membership(
    state: EmulatorState,
    tenant_id: str,
    group_id: str,
    member_id: str,
    member_type: str,
    op: str,
    *,
    at: float,
) -> None:
    """Log a member added to or removed from a mail-enabled group at emulator time ``at``."""
    data = dumps({"memberType": member_type})
    _append(state, tenant_id, ("member", group_id, member_id, op, at, data))


def _append(
    state: EmulatorState, tenant_id: str, change: tuple[str, str, str, str, float, str]
) -> None:
    state.store.execute(_INSERT, (tenant_id, state.store.next_seq(), *change))
    _cache(state).note(tenant_id)


# -- Graph's view ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropagatedView:
    """The policies and scope memberships Graph enforces until ``valid_until``."""

    log_seq: int
    valid_until: float
    rules: tuple[PolicyRule, ...]
    scope_members: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def granted(self, app_id: str, object_id: str) -> bool:
        def in_scope(scope_id: str) -> bool:
            return scope_id == object_id or object_id in self.scope_members.get(
                scope_id, _NO_MEMBERS
            )

        return access_granted(self.rules, app_id, in_scope)


def graph_access_granted(state: EmulatorState, tenant_id: str, app_id: str, object_id: str) -> bool:
    """The access-policy verdict Graph gives app ``app_id`` on mailbox ``object_id`` now."""
    cache = _cache(state)
    if not cache.has_history(state.store, tenant_id):
        return True
    now = state.clock.timestamp()
    top = state.store.scalar(
        "SELECT MAX(seq) FROM access_policy_changes WHERE tenant_id = ?", (tenant_id,)
    )
    if top is None:  # the tenant was reset or deleted under us
        cache.forget(tenant_id)
        return True
    view = cache.views.get(tenant_id)
    if view is None or view.log_seq != top or now >= view.valid_until:
        view = build_view(state.store, tenant_id, now, _delays(state))
        cache.views[tenant_id] = view
    return view.granted(app_id, object_id.lower())


def _delays(state: EmulatorState) -> Delays:
    return Delays(state.settings.propagation_delay, state.settings.removal_delay)


def build_view(store: Store, tenant_id: str, now: float, delays: Delays) -> PropagatedView:
    """Replay the change log as it has reached Graph at emulator time ``now``."""
    rows = store.all(
        "SELECT seq, kind, subject, object, op, changed_at, data FROM access_policy_changes "
        "WHERE tenant_id = ? ORDER BY seq",
        (tenant_id,),
    )
    timeline = _Timeline(now, delays)
    for row in rows:
        timeline.add(row)
    rules = tuple(
        PolicyRule(str(data["appId"]), str(data["accessRight"]), str(data["scopeId"]))
        for data in timeline.present("policy")
    )
    edges = timeline.edges()
    members = {
        scope: _walk(store, tenant_id, scope, edges) for scope in {r.scope_id for r in rules}
    }
    top = int(rows[-1]["seq"]) if rows else 0
    return PropagatedView(top, timeline.next_due, rules, members)


@dataclass(slots=True)
class _Element:
    """One policy or one group-member edge, as its changes reach Graph."""

    first_op: str
    data: dict[str, object]
    seen_op: str | None = None  # the last of its changes Graph has seen

    @property
    def present(self) -> bool:
        # Before any of its changes reached Graph, it was as before the first one: a first
        # change that removes it means it was there.
        return self.seen_op == ADD if self.seen_op else self.first_op == REMOVE


class _Timeline:
    def __init__(self, now: float, delays: Delays) -> None:
        self.now = now
        self.delays = delays
        self.next_due = math.inf
        self.elements: dict[tuple[str, str, str], _Element] = {}

    def add(self, row: Row) -> None:
        key = (row["kind"], row["subject"], row["object"])
        element = self.elements.get(key)
        if element is None:
            element = self.elements[key] = _Element(row["op"], loads(row["data"]))
        due = row["changed_at"] + self.delays.of(row["op"])
        if due <= self.now:
            element.seen_op = row["op"]
            element.data = loads(row["data"])
        else:
            self.next_due = min(self.next_due, due)

    def present(self, kind: str) -> Iterable[dict[str, object]]:
        return (e.data for (k, _, _), e in self.elements.items() if k == kind and e.present)

    def edges(self) -> dict[str, dict[str, tuple[bool, str]]]:
        """Logged group-member edges: group -> member -> (present for Graph, member type)."""
        found: dict[str, dict[str, tuple[bool, str]]] = {}
        for (kind, group, member), element in self.elements.items():
            if kind == "member":
                found.setdefault(group, {})[member] = (
                    element.present,
                    str(element.data.get("memberType", "user")),
                )
        return found


def _walk(
    store: Store, tenant_id: str, scope_id: str, edges: Mapping[str, Mapping[str, tuple[bool, str]]]
) -> frozenset[str]:
    """Members of ``scope_id`` through nested groups, as Graph sees the memberships."""
    seen: set[str] = set()
    queue = deque([scope_id])
    while queue:
        for member, kind in _children(store, tenant_id, queue.popleft(), edges):
            if member not in seen:
                seen.add(member)
                if kind == "group":
                    queue.append(member)
    seen.discard(scope_id)
    return frozenset(seen)


def _children(
    store: Store,
    tenant_id: str,
    group_id: str,
    edges: Mapping[str, Mapping[str, tuple[bool, str]]],
) -> list[tuple[str, str]]:
    logged = edges.get(group_id, {})
    current = store.all(
        "SELECT member_id, member_type FROM group_members WHERE tenant_id = ? AND group_id = ?",
        (tenant_id, group_id),
    )
    unchanged = [(r[0], r[1]) for r in current if r[0] not in logged]
    return unchanged + [(m, kind) for m, (present, kind) in logged.items() if present]


# -- the per-state cache ---------------------------------------------------------------------


class _Cache:
    """Which tenants ever had a logged change, and each one's current Graph view.

    Only ever *positive* knowledge is kept without checking: a tenant missing from
    ``history`` has no change in the log (every change is written through this module),
    so Graph grants without a query. A tenant wiped by the control plane stays listed and
    simply costs one query until it is noticed and forgotten.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.history: set[str] | None = None
        self.views: dict[str, PropagatedView] = {}

    def has_history(self, store: Store, tenant_id: str) -> bool:
        history = self.history
        if history is None:
            with self.lock:
                if self.history is None:
                    rows = store.all("SELECT DISTINCT tenant_id FROM access_policy_changes")
                    self.history = {r[0] for r in rows}
                history = self.history
        return tenant_id in history

    def note(self, tenant_id: str) -> None:
        with self.lock:
            if self.history is not None:
                self.history.add(tenant_id)

    def forget(self, tenant_id: str) -> None:
        with self.lock:
            if self.history is not None:
                self.history.discard(tenant_id)
            self.views.pop(tenant_id, None)


_RUNTIME_KEY = "access_policy_views"


def _cache(state: EmulatorState) -> _Cache:
    # In the state's runtime: two emulators in one process never share a view. setdefault
    # is atomic for a dict, so two threads cannot end up with two caches.
    cache: _Cache | None = state.runtime.get(_RUNTIME_KEY)
    if cache is None:
        cache = state.runtime.setdefault(_RUNTIME_KEY, _Cache())
    return cache
