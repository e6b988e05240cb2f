"""Reading the app restrict works on: a Graph refusal names the permission the admin lacks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sendscope.errors import ApiFailure, PermissionMissing, RefusedByMicrosoft365
from sendscope.restriction import read_app

APP = "3f2c1d4e-5a6b-4c8d-9e0f-112233445566"
DENIED = ApiFailure(
    403,
    "Authorization_RequestDenied",
    "Insufficient privileges to complete the operation.",
    request_id="r-1",
)


class _Refusing:
    def __init__(self, failure: ApiFailure) -> None:
        self.failure = failure

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        raise RefusedByMicrosoft365(f"refused GET {path}", failure=self.failure)

    def iter_pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[Any]]:
        raise RefusedByMicrosoft365(f"refused GET {path}", failure=self.failure)


def test_a_403_names_application_read_all_and_where_to_grant_it() -> None:
    with pytest.raises(PermissionMissing) as caught:
        read_app(_Refusing(DENIED), APP, "contoso.onmicrosoft.com")
    said = caught.value.message
    assert said.startswith(f"the admin identity may not read app {APP} and its permissions")
    assert "403 Authorization_RequestDenied" in said and "(request-id r-1)" in said
    assert "needs the application permission Application.Read.All" in said
    assert "Grant admin consent" in said and said.endswith("Nothing was written.")
    assert caught.value.exit_code == 5


def test_other_refusals_pass_through_unchanged() -> None:
    unavailable = ApiFailure(503, "ServiceUnavailable", "try later")
    with pytest.raises(RefusedByMicrosoft365) as caught:
        read_app(_Refusing(unavailable), APP, "contoso.onmicrosoft.com")
    assert not isinstance(caught.value, PermissionMissing)
