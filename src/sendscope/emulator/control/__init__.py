"""The control plane of the emulator: reset, tenants, outbox, clock, and the outbox page.

Served under ``/_emulator``, with no authentication: it is a local test tool, and the
emulator binds loopback (127.0.0.1) unless ``--host`` says otherwise.
"""
