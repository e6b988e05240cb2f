"""Named profiles: tenant, client IDs, cloud and certificate paths — never a secret.

Saved as JSON in the user config directory (``sendscope profile add``), mode 0600.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs

from .errors import UsageError

__all__ = ["Profile", "ProfileStore"]

_SECRET_WORDS = ("secret", "password", "token")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    tenant: str | None = None
    client_id: str | None = None
    cloud: str | None = None
    certificate: str | None = None
    admin_client_id: str | None = None
    admin_certificate: str | None = None


class ProfileStore:
    """Profiles in ``<user config dir>/sendscope/profiles.json`` (or ``path``)."""

    def __init__(self, path: Path | None = None) -> None:
        env = os.environ.get("SENDSCOPE_CONFIG_DIR")
        base = Path(env) if env else Path(platformdirs.user_config_dir("sendscope"))
        self.path = path or base / "profiles.json"

    def all(self) -> dict[str, Profile]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read profiles from {self.path}: {exc}. Fix or delete "
                             "the file.") from None
        known = {f.name for f in fields(Profile)}
        return {name: Profile(**{k: v for k, v in values.items() if k in known} | {"name": name})
                for name, values in raw.get("profiles", {}).items()}

    def get(self, name: str) -> Profile:
        profiles = self.all()
        if name not in profiles:
            choices = ", ".join(sorted(profiles)) or "none yet (sendscope profile add)"
            raise UsageError(f"--profile {name!r} does not exist: profiles are {choices}")
        return profiles[name]

    def save(self, profile: Profile) -> None:
        profiles = self.all()
        profiles[profile.name] = profile
        self._write(profiles)

    def remove(self, name: str) -> None:
        profiles = self.all()
        if profiles.pop(name, None) is None:
            raise UsageError(f"profile {name!r} does not exist")
        self._write(profiles)

    def _write(self, profiles: dict[str, Profile]) -> None:
        body = {"profiles": {n: {k: v for k, v in asdict(p).items() if k != "name" and v}
                             for n, p in sorted(profiles.items())}}
        assert not any(w in key for p in body["profiles"].values() for key in p
                       for w in _SECRET_WORDS), "profiles never hold secrets"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2)
        tmp.replace(self.path)
