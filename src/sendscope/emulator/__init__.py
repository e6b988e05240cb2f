"""A local, faithful emulator of the slice of Microsoft 365 sendscope works with.

Entra's token endpoint, Microsoft Graph (directory and mail) and, later, the Exchange admin
API, with Exchange's mailbox-access rules and their propagation delay. It imports nothing
from the rest of sendscope.

In-process: ``create_app(EmulatorState.create())``; on a socket: ``ThreadedEmulator``;
from a shell: ``sendscope emulator serve``.
"""

from .app import create_app
from .core.state import EmulatorSettings, EmulatorState
from .seeds import apply_fixture, seed_state
from .server import ThreadedEmulator, build_info, serve

__all__ = [
    "EmulatorSettings",
    "EmulatorState",
    "ThreadedEmulator",
    "apply_fixture",
    "build_info",
    "create_app",
    "seed_state",
    "serve",
]
