"""Licences: the tenant's subscribed SKUs and ``assignLicense``, with Exchange's mailbox rule.

A user gets an Exchange Online mailbox when a licence whose SKU holds an Exchange plan
(EXCHANGE_S_ENTERPRISE, EXCHANGE_S_STANDARD) not listed in ``disabledPlans`` is assigned,
and loses it when the last such licence goes — after which Graph's mailbox endpoints answer
``MailboxNotEnabledForRESTAPI`` (m365-domain.md §3.5). Shapes follow
learn.microsoft.com/graph/api/subscribedsku-list and user-assignlicense; error texts are
the observed ones (wire-facts.md §5, §9).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ...core.store import Row, dumps, loads
from ..exceptions import RequestBadRequest, RequestResourceNotFound

__all__ = [
    "EXCHANGE_PLAN_IDS",
    "EXCHANGE_PLAN_NAMES",
    "LICENSE_WRITE",
    "SKU_READ",
    "AssignedLicense",
    "Licenses",
    "ServicePlan",
    "Sku",
]

# learn.microsoft.com/graph/api/subscribedsku-list and user-assignlicense, "Permissions".
SKU_READ = (
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
LICENSE_WRITE = ("LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")

# Exchange Online (Plan 2) and (Plan 1): the plans that come with a mailbox (wire-facts.md §9).
EXCHANGE_PLAN_IDS = frozenset(
    {"efb87545-963c-4e0d-99df-69c6916d9eb0", "9aaf7827-d63c-4b61-89c3-182f06f82e5c"}
)
EXCHANGE_PLAN_NAMES = frozenset({"EXCHANGE_S_ENTERPRISE", "EXCHANGE_S_STANDARD"})
_SKU_NAMESPACE = uuid.UUID("6d1c3a4e-2f0b-4f57-9a51-0b8e7c9d2a10")


@dataclass(frozen=True, slots=True)
class ServicePlan:
    """One service plan of a SKU (``EXCHANGE_S_ENTERPRISE`` …)."""

    id: str
    name: str
    applies_to: str

    @property
    def gives_mailbox(self) -> bool:
        return self.id in EXCHANGE_PLAN_IDS or self.name in EXCHANGE_PLAN_NAMES


@dataclass(frozen=True, slots=True)
class Sku:
    """A product the tenant subscribes to, as the tenant fixture lists it."""

    id: str
    part_number: str
    enabled: int
    suspended: int
    warning: int
    locked_out: int
    plans: tuple[ServicePlan, ...]

    @classmethod
    def from_props(cls, data: Mapping[str, Any]) -> Sku:
        units = data.get("prepaidUnits", {})
        plans = tuple(
            ServicePlan(
                str(p["servicePlanId"]).lower(),
                str(p.get("servicePlanName", "")),
                str(p.get("appliesTo", "User")),
            )
            for p in data.get("servicePlans", [])
        )
        return cls(
            str(data["skuId"]).lower(),
            str(data.get("skuPartNumber", "")),
            int(units.get("enabled", 0)),
            int(units.get("suspended", 0)),
            int(units.get("warning", 0)),
            int(units.get("lockedOut", 0)),
            plans,
        )

    def gives_mailbox(self, disabled_plans: Iterable[str]) -> bool:
        off = {p.lower() for p in disabled_plans}
        return any(p.gives_mailbox and p.id not in off for p in self.plans)


@dataclass(frozen=True, slots=True)
class AssignedLicense:
    """One entry of ``addLicenses``: a SKU and the plans switched off in it."""

    sku_id: str
    disabled_plans: tuple[str, ...]

    def json(self) -> dict[str, Any]:
        return {"disabledPlans": list(self.disabled_plans), "skuId": self.sku_id}


class Licenses:
    """A tenant's SKUs, seat counts and licence assignments."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.store = state.store
        self.directory = Directory(state.store)
        self.tenant_id = tenant_id

    # -- subscribedSkus ----------------------------------------------------------------

    def skus(self) -> dict[str, Sku]:
        props = self.directory.tenant_props(self.tenant_id)
        return {s.id: s for s in map(Sku.from_props, props.get("subscribedSkus", []))}

    def consumed(self) -> dict[str, int]:
        rows = self.store.all(
            "SELECT sku_id, COUNT(*) FROM user_licenses WHERE tenant_id = ? GROUP BY sku_id",
            (self.tenant_id,),
        )
        return {str(r[0]).lower(): int(r[1]) for r in rows}

    def subscribed_skus(self) -> list[dict[str, Any]]:
        used = self.consumed()
        return [self._sku_json(sku, used.get(sku.id, 0)) for sku in self.skus().values()]

    def subscribed_sku(self, ref: str) -> dict[str, Any]:
        """One SKU by its ``{tenantId}_{skuId}`` id."""
        for item in self.subscribed_skus():
            if item["id"].lower() == ref.lower():
                return item
        raise RequestResourceNotFound(ref)

    def _sku_json(self, sku: Sku, consumed: int) -> dict[str, Any]:
        tenant = self.state.tenant(self.tenant_id)
        account = str(tenant["domain"]).split(".", 1)[0] if tenant else ""
        return {
            "accountName": account,
            "accountId": self.tenant_id,
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": consumed,
            "id": f"{self.tenant_id}_{sku.id}",
            "prepaidUnits": {
                "enabled": sku.enabled,
                "lockedOut": sku.locked_out,
                "suspended": sku.suspended,
                "warning": sku.warning,
            },
            "servicePlans": [
                {
                    "servicePlanId": p.id,
                    "servicePlanName": p.name,
                    "provisioningStatus": "Success",
                    "appliesTo": p.applies_to,
                }
                for p in sku.plans
            ],
            "skuId": sku.id,
            "skuPartNumber": sku.part_number,
            "subscriptionIds": [str(uuid.uuid5(_SKU_NAMESPACE, f"{self.tenant_id}/{sku.id}"))],
        }

    # -- a user's licences -------------------------------------------------------------

    def assigned(self, user_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """``assignedLicenses`` of several users at once (one query per page of users)."""
        found: dict[str, list[dict[str, Any]]] = {uid: [] for uid in user_ids}
        if not user_ids:
            return found
        marks = ",".join("?" * len(user_ids))
        rows = self.store.all(
            "SELECT user_id, sku_id, disabled_plans FROM user_licenses WHERE tenant_id = ? "  # noqa: S608
            f"AND user_id IN ({marks}) ORDER BY rowid",
            (self.tenant_id, *user_ids),
        )
        for row in rows:
            found[row["user_id"]].append(
                {"disabledPlans": loads(row["disabled_plans"]), "skuId": row["sku_id"]}
            )
        return found

    def assign(self, user: Row, add: Sequence[AssignedLicense], remove: Sequence[str]) -> None:
        """``assignLicense``: check everything first, then change licences and mailbox at once."""
        skus = self.skus()
        current = self._current(user["id"])
        self._check(user, skus, current, add, remove)
        had_mailbox_licence = self._gives_mailbox(skus, current)
        after = {k: v for k, v in current.items() if k not in set(remove)}
        after.update({a.sku_id: a.disabled_plans for a in add})
        with self.store.tx():
            self._write(user["id"], add, remove)
            self._sync_mailbox(user, had_mailbox_licence, self._gives_mailbox(skus, after))

    def _current(self, user_id: str) -> dict[str, tuple[str, ...]]:
        rows = self.store.all(
            "SELECT sku_id, disabled_plans FROM user_licenses WHERE tenant_id = ? AND user_id = ?",
            (self.tenant_id, user_id),
        )
        return {str(r[0]).lower(): tuple(loads(r[1])) for r in rows}

    def _check(
        self,
        user: Row,
        skus: Mapping[str, Sku],
        current: Mapping[str, tuple[str, ...]],
        add: Sequence[AssignedLicense],
        remove: Sequence[str],
    ) -> None:
        if add and not loads(user["props"]).get("usageLocation"):
            raise RequestBadRequest(
                "License assignment cannot be done for user with invalid usage location."
            )
        for sku_id in [*(a.sku_id for a in add), *remove]:
            if sku_id not in skus:
                raise RequestBadRequest(
                    f"License {sku_id} does not correspond to a valid company License."
                )
        if any(sku_id not in current for sku_id in remove):
            raise RequestBadRequest("User does not have a corresponding license.")
        self._check_seats(skus, current, add)

    def _check_seats(
        self, skus: Mapping[str, Sku], current: Mapping[str, Any], add: Sequence[AssignedLicense]
    ) -> None:
        used = self.consumed()
        for item in add:
            if item.sku_id not in current and used.get(item.sku_id, 0) >= skus[item.sku_id].enabled:
                raise RequestBadRequest(
                    f"Subscription with SKU {item.sku_id} does not have any available licenses."
                )

    @staticmethod
    def _gives_mailbox(skus: Mapping[str, Sku], held: Mapping[str, Sequence[str]]) -> bool:
        return any(sku in skus and skus[sku].gives_mailbox(off) for sku, off in held.items())

    def _write(self, user_id: str, add: Sequence[AssignedLicense], remove: Sequence[str]) -> None:
        for sku_id in remove:
            self.store.execute(
                "DELETE FROM user_licenses WHERE tenant_id = ? AND user_id = ? AND sku_id = ?",
                (self.tenant_id, user_id, sku_id),
            )
        for item in add:
            self.store.execute(
                "INSERT OR REPLACE INTO user_licenses (tenant_id, user_id, sku_id, disabled_plans) "
                "VALUES (?, ?, ?, ?)",
                (self.tenant_id, user_id, item.sku_id, dumps(list(item.disabled_plans))),
            )

    def _sync_mailbox(self, user: Row, before: bool, after: bool) -> None:
        """Exchange provisions a mailbox for a newly licensed user and takes it away with the
        last Exchange licence; shared mailboxes and mail users need no licence and stay."""
        recipient = self.directory.recipient(self.tenant_id, user["id"])
        if after and recipient is None:
            address = user["mail"] or user["upn"]
            self.directory.add_recipient(
                self.tenant_id,
                user["id"],
                "UserMailbox",
                user["mail_nickname"] or str(user["upn"]).split("@", 1)[0],
                user["display_name"],
                address,
                now=self.state.clock.now(),
            )
            self.store.execute(
                "UPDATE users SET mail = ? WHERE tenant_id = ? AND id = ?",
                (address, self.tenant_id, user["id"]),
            )
        elif before and not after and _is_user_mailbox(recipient):
            self.directory.remove_recipient(self.tenant_id, user["id"])


def _is_user_mailbox(recipient: Row | None) -> bool:
    return recipient is not None and recipient["recipient_type_details"] == "UserMailbox"


def parse_assignment(body: Mapping[str, Any]) -> tuple[list[AssignedLicense], list[str]]:
    """``addLicenses`` and ``removeLicenses`` of an assignLicense body (both required lists)."""
    add, remove = body.get("addLicenses"), body.get("removeLicenses")
    if not isinstance(add, list) or not isinstance(remove, list):
        missing = "addLicenses" if not isinstance(add, list) else "removeLicenses"
        raise RequestBadRequest(
            f"Invalid value specified for property '{missing}' of resource 'User'."
        )
    return [_license(item) for item in add], [_sku_ref(item) for item in remove]


def _license(item: Any) -> AssignedLicense:
    if not isinstance(item, dict):
        raise RequestBadRequest(
            "Invalid value specified for property 'addLicenses' of resource 'User'."
        )
    disabled = item.get("disabledPlans") or []
    if not isinstance(disabled, list) or not all(isinstance(p, str) for p in disabled):
        raise RequestBadRequest(
            "Invalid value specified for property 'disabledPlans' of resource 'User'."
        )
    return AssignedLicense(_sku_ref(item.get("skuId")), tuple(p.lower() for p in disabled))


def _sku_ref(value: Any) -> str:
    if not isinstance(value, str):
        raise RequestBadRequest("Invalid value specified for property 'skuId' of resource 'User'.")
    return value.lower()


__all__ += ["parse_assignment"]
