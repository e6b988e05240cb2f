"""Delivered mail is written in batches (``Store.defer``) and directory answers are cached
(``DirectoryCache``): neither may ever show a reader something the emulator would not have
shown with plain, one-by-one writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from sendscope.emulator import EmulatorState
from sendscope.emulator.core.directory import Directory
from sendscope.emulator.core.store import Store
from sendscope.emulator.graph.models.mail_runtime import DELIVERY_DELAY, DeliveryTimer
from tests.conftest import Tenant, bearer
from tests.emulator.graph_mail_helpers import addr, folder_items, message, outbox, send

ROW = "INSERT INTO meta (key, value) VALUES (?, ?)"


def _meta(store: Store, key: str) -> str | None:
    return store.meta(key)


def test_deferred_rows_are_seen_by_the_next_reader_of_their_table() -> None:
    store = Store()
    store.defer("meta", ROW, [("a", "1")])
    assert store.has_deferred
    assert _meta(store, "a") == "1"
    assert not store.has_deferred


def test_reads_of_other_tables_leave_the_batch_queued() -> None:
    store = Store()
    store.defer("meta", ROW, [("a", "1")])
    store.all("SELECT * FROM tenants")
    assert store.has_deferred


def test_any_write_transaction_writes_the_batch_first() -> None:
    store = Store()
    store.defer("meta", ROW, [("a", "1")])
    store.execute("DELETE FROM tenants")
    assert not store.has_deferred
    assert _meta(store, "a") == "1"


def test_a_batch_that_cannot_be_written_is_rolled_back_and_the_store_goes_on() -> None:
    store = Store()
    store.defer("meta", ROW, [("a", "1"), ("a", "2")])  # the second breaks the primary key
    with pytest.raises(sqlite3.IntegrityError):
        store.flush()
    assert not store.has_deferred
    assert _meta(store, "a") is None  # all or nothing
    store.set_meta("b", "1")  # no transaction was left open
    assert _meta(store, "b") == "1"


def test_rows_queued_inside_a_transaction_commit_with_it() -> None:
    store = Store()
    with store.tx():
        store.defer("meta", ROW, [("a", "1")])
    assert not store.has_deferred
    assert _meta(store, "a") == "1"


def test_rows_queued_inside_a_failed_transaction_are_dropped_with_it() -> None:
    store = Store()
    store.defer("meta", ROW, [("before", "1")])
    with pytest.raises(RuntimeError), store.tx():
        store.defer("meta", ROW, [("inside", "1")])
        raise RuntimeError("boom")
    assert _meta(store, "before") == "1"  # queued before: written when the transaction began
    assert _meta(store, "inside") is None
    assert not store.has_deferred


def test_close_writes_the_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    store.defer("meta", ROW, [("a", "1")])
    store.close()
    assert Store(tmp_path / "state.db").meta("a") == "1"


def test_a_long_batch_is_written_without_waiting() -> None:
    store = Store()
    store.defer("meta", ROW, [(f"k{i}", "v") for i in range(5000)])
    assert not store.has_deferred


def test_the_generation_moves_with_writes_not_with_reads_or_deferred_rows() -> None:
    store = Store()
    before = store.generation
    store.all("SELECT * FROM tenants")
    store.defer("meta", ROW, [("a", "1")])
    store.flush()
    assert store.generation == before
    store.execute("DELETE FROM tenants")
    assert store.generation == before + 1


def test_the_delivery_timer_writes_the_batch_after_the_delay() -> None:
    store = Store()
    state = EmulatorState(store=store, clock=None, signing_key=None)  # type: ignore[arg-type]
    timer = DeliveryTimer()

    async def scenario() -> bool:
        store.defer("meta", ROW, [("a", "1")])
        timer.arm(state)
        timer.arm(state)  # a burst arms one flush
        queued = store.has_deferred
        # asyncio runs timers in deadline order: this sleep ends after the flush.
        await asyncio.sleep(DELIVERY_DELAY * 2)
        return queued

    assert asyncio.run(scenario()) is True
    assert not store.has_deferred
    assert store.meta("a") == "1"


@pytest.fixture
def mailer(token: Callable[..., str]) -> str:
    return token("Timesheet Mailer")


def test_sent_mail_is_in_the_inbox_and_outbox_as_soon_as_anyone_looks(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    assert send(client, mailer, addr("noreply"), message(addr("cfo"))).status_code == 202
    assert [m["subject"] for m in folder_items(state, tenant.id, addr("cfo"), "inbox")] == [
        "Timesheet due"
    ]
    assert len(outbox(state)) == 1


def test_a_group_change_reaches_the_next_send(
    client: TestClient, state: EmulatorState, tenant: Tenant, mailer: str
) -> None:
    directory = Directory(state.store)
    group = directory.recipient_by_address(tenant.id, addr("allstaff"))
    assert group is not None
    send(client, mailer, addr("noreply"), message(addr("allstaff"), subject="first"))
    hr = directory.user(tenant.id, addr("hr"))
    assert hr is not None
    directory.remove_member(tenant.id, group["object_id"], hr["id"])
    send(client, mailer, addr("noreply"), message(addr("allstaff"), subject="second"))
    subjects = [m["subject"] for m in folder_items(state, tenant.id, addr("hr"), "inbox")]
    assert subjects == ["first"]


def test_a_deleted_user_is_no_longer_a_mailbox_to_send_as(
    client: TestClient, token: Callable[..., str], mailer: str
) -> None:
    assert send(client, mailer, addr("staff01")).status_code == 202
    deleted = client.delete(f"/v1.0/users/{addr('staff01')}", headers=bearer(token(admin=True)))
    assert deleted.status_code == 204
    response = send(client, mailer, addr("staff01"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ErrorInvalidUser"
