"""Graph ``/organization``: the tenant itself (learn.microsoft.com/graph/api/organization-get).

``verifiedDomains`` lists the tenant's domains; the ``.onmicrosoft.com`` one it was made
with is ``isInitial`` and the first listed is ``isDefault``.
"""

from __future__ import annotations

from typing import Any

from ...core.directory import Directory
from ...core.state import EmulatorState
from ..exceptions import RequestResourceNotFound

__all__ = ["ORGANIZATION_PROPERTIES", "ORGANIZATION_READ", "Organization"]

# organization-get, "Permissions" (application).
ORGANIZATION_READ = (
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
ORGANIZATION_PROPERTIES = (
    "id",
    "deletedDateTime",
    "businessPhones",
    "city",
    "country",
    "countryLetterCode",
    "createdDateTime",
    "defaultUsageLocation",
    "displayName",
    "isMultipleDataLocationsForServicesEnabled",
    "marketingNotificationEmails",
    "onPremisesLastSyncDateTime",
    "onPremisesSyncEnabled",
    "partnerTenantType",
    "postalCode",
    "preferredLanguage",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "state",
    "street",
    "technicalNotificationMails",
    "tenantType",
    "directorySizeQuota",
    "privacyProfile",
    "assignedPlans",
    "onPremisesSyncStatus",
    "provisionedPlans",
    "verifiedDomains",
)


class Organization:
    """The tenant as Graph's organization resource."""

    def __init__(self, state: EmulatorState, tenant_id: str) -> None:
        self.state = state
        self.tenant_id = tenant_id

    def get(self, ref: str | None = None) -> dict[str, Any]:
        """The organization; ``ref`` must be the tenant's id when given."""
        row = self.state.tenant(self.tenant_id)
        if row is None or (ref is not None and ref.lower() != self.tenant_id):
            raise RequestResourceNotFound(ref or self.tenant_id)
        props = Directory(self.state.store).tenant_props(self.tenant_id)
        full: dict[str, Any] = dict.fromkeys(ORGANIZATION_PROPERTIES)
        full.update(
            {
                "id": self.tenant_id,
                "displayName": row["display_name"],
                "createdDateTime": row["created"],
                "countryLetterCode": props.get("countryLetterCode", "US"),
                "preferredLanguage": "en",
                "tenantType": "AAD",
                "businessPhones": [],
                "marketingNotificationEmails": [],
                "securityComplianceNotificationMails": [],
                "securityComplianceNotificationPhones": [],
                "technicalNotificationMails": [],
                "assignedPlans": [],
                "provisionedPlans": [],
                "onPremisesSyncStatus": [],
                "directorySizeQuota": self._quota(),
                "verifiedDomains": _verified_domains(row["domain"], props.get("domains", [])),
            }
        )
        return full

    def _quota(self) -> dict[str, int]:
        used = self.state.store.scalar(
            "SELECT (SELECT COUNT(*) FROM users WHERE tenant_id = :t) + "
            "(SELECT COUNT(*) FROM groups WHERE tenant_id = :t)",
            {"t": self.tenant_id},  # type: ignore[arg-type]
        )
        return {"used": int(used or 0), "total": 300000}


def _verified_domains(initial: str, domains: list[str]) -> list[dict[str, Any]]:
    names = list(dict.fromkeys([*domains, initial]))
    return [
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": i == 0,
            "isInitial": name.lower() == initial.lower(),
            "name": name,
            "type": "Managed",
        }
        for i, name in enumerate(names)
    ]
