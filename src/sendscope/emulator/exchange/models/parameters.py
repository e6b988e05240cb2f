"""Binding a cmdlet's ``Parameters`` object as PowerShell binds named parameters.

Names match case-insensitively; an unknown name is PowerShell's "A parameter cannot be
found that matches parameter name 'X'." A JSON null is treated as not given. The module
sends multi-valued parameters as JSON arrays or as an ``Exchange.GenericHashTable``
``{"@odata.type": "#Exchange.GenericHashTable", "add": [...], "remove": [...]}``
(m365-domain.md §6.2); switches as ``true``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..exceptions import InvalidArgument, MissingParameters, UnknownParameter

__all__ = ["COMMON_PARAMETERS", "UNLIMITED", "Parameters"]

# PowerShell's common parameters a client may send; the emulator accepts and ignores them.
COMMON_PARAMETERS = ("Confirm", "ErrorAction", "WarningAction")
UNLIMITED = None
_HASHTABLE_KEYS = ("add", "remove")


class Parameters:
    """The bound parameters of one call, by canonical name."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def bind(cls, raw: Any, declared: Iterable[str], required: Iterable[str]) -> Parameters:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise InvalidArgument("Parameters", "The cmdlet's Parameters must be a JSON object.")
        by_lower = {name.lower(): name for name in (*declared, *COMMON_PARAMETERS)}
        bound: dict[str, Any] = {}
        for name, value in raw.items():
            canonical = by_lower.get(str(name).lower())
            if canonical is None:
                raise UnknownParameter(str(name))
            if value is not None and canonical not in COMMON_PARAMETERS:
                bound[canonical] = value
        missing = [name for name in required if name not in bound]
        if missing:
            raise MissingParameters(missing)
        return cls(bound)

    def has(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str) -> str | None:
        """A single-valued string parameter (numbers and booleans read as PowerShell
        would turn them into text)."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, str | int | float):
            return str(value)
        raise InvalidArgument(
            name,
            f"Cannot convert '{_shown(value)}' to the type 'System.String' required by "
            f"parameter '{name}'. Specified method is not supported.",
        )

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if value is None or not value.strip():
            raise MissingParameters([name])
        return value.strip()

    def values(self, name: str, *, split_commas: bool = False) -> list[str]:
        """A multi-valued parameter: an array, a GenericHashTable's ``add`` list, or one
        value (``split_commas`` for the ``"a,b"`` form some clients send for String[])."""
        value = self._values.get(name)
        if value is None:
            return []
        items = _items(name, value)
        if split_commas:
            items = [part for item in items for part in item.split(",")]
        return [item.strip() for item in items if item.strip()]

    def switch(self, name: str) -> bool:
        value = self._values.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "$true", "$false"):
            return value.strip().lower().lstrip("$") == "true"
        raise InvalidArgument(
            name,
            f"Cannot convert '{_shown(value)}' to the type "
            "'System.Management.Automation.SwitchParameter' required by parameter "
            f"'{name}'.",
        )

    def result_size(self, default: int = 1000) -> int | None:
        """``-ResultSize``: a positive number, or ``Unlimited`` (None)."""
        value = self._values.get("ResultSize")
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lower() == "unlimited":
            return UNLIMITED
        number = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
        if _UINT.fullmatch(number) and 0 < int(number) <= 0xFFFFFFFF:  # a UInt32
            return int(number)
        raise InvalidArgument(
            "ResultSize",
            f'Cannot convert value "{_shown(value)}" to type '
            '"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]". Error: "The value must be a '
            'positive number or Unlimited."',
        )


_UINT = re.compile(r"[0-9]{1,10}")


def _items(name: str, value: Any) -> list[str]:
    if isinstance(value, Mapping):
        unknown = [k for k in value if k.lower() not in _HASHTABLE_KEYS and not k.startswith("@")]
        if unknown:
            raise InvalidArgument(
                name, f"A GenericHashTable takes 'add' and 'remove' lists, not '{unknown[0]}'."
            )
        return [str(v) for v in _as_list(name, value.get("add"))]
    return [str(v) for v in _as_list(name, value)]


def _as_list(name: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        if any(isinstance(v, list | Mapping) for v in value):
            raise InvalidArgument(name, "Each value must be a string.")
        return value
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return [value]
    raise InvalidArgument(name, f"Cannot convert '{_shown(value)}' to a list of strings.")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "System.Object[]"
    if isinstance(value, Mapping):
        return "System.Collections.Hashtable"
    return str(value)
