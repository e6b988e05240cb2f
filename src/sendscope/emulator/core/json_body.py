"""A request body's JSON, read once the same way for every service.

As ``json.loads`` reads it (the standard library decides every doubtful case), with the
differences a store needs: orjson does the common case, several times faster; lone surrogates
(``"\\ud800"`` escapes, which JSON allows and UTF-8 cannot hold) become U+FFFD, as .NET's
UTF-8 writer makes them; and numbers that are not finite (``NaN``, ``Infinity``, ``1e400``),
which RFC 8259 has no room for, are malformed JSON — so nothing accepted can fail to be
stored or answered later.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

__all__ = ["parse_json_body"]

# orjson reads an integer beyond 64 bits as a float; such bodies go to json.loads.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json_body(raw: bytes) -> Any:
    """The JSON value of ``raw``; raises what ``json.loads`` raises (ValueError,
    UnicodeDecodeError, RecursionError for nesting too deep)."""
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw)  # never yields a surrogate: it refuses them
        except orjson.JSONDecodeError:
            pass  # NaN, lone surrogates, UTF-16, bad JSON: json.loads decides
    return _without_surrogates(json.loads(raw, parse_constant=_refuse, parse_float=_finite))


def _refuse(literal: str) -> float:
    raise ValueError(f"{literal} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is out of range")
    return value


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value
