"""Manager settings' Store hub page (its view model) against a real hub: what a manager sees when
joining, testing, initialising and leaving, and that the running counter's push follows."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import psycopg
import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import NEEDS_MANAGER
from budtender_app.hub_wiring import HubControl
from budtender_app.services.credentials import SERVICE, CredentialStore
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import KEYRING_ENTRY, HubConfig
from budtender_app.services.paths import folders
from budtender_app.viewmodels.hub_settings import TRAINING_WORDS, HubSettingsViewModel
from tests.helpers.hub_journal import SEAL, write_sales
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.pg import free_port

pytestmark = [pytest.mark.hub, pytest.mark.asyncio]
MANAGER = Actor("m-1", "Max Manager")


def now() -> datetime:
    return datetime(2026, 12, 2, 14, 2, tzinfo=UTC)


@pytest.fixture
def ring():
    return MemoryKeyring()


@pytest.fixture
def page(ring, tmp_path):
    """The page's view model, over a journal with sales and a counter whose push it moves."""
    keys = CredentialStore(ring)
    journal = tmp_path / "journal.sqlite3"
    write_sales(journal, 2)
    control = HubControl(journal, SEAL, keys, now, training=False)
    made = []

    def make(*, approving=lambda: MANAGER, training: bool = False) -> HubSettingsViewModel:
        vm = HubSettingsViewModel(HubConfig(keys), journal, SEAL, training=training,
                                  runner=control, approving=approving)
        vm.control = control  # for the tests
        vm.said = []
        vm.message_changed.connect(lambda level, text: vm.said.append((level, text)))
        made.append(vm)
        return vm

    yield make
    control.close()


def last(vm) -> tuple[str, str]:
    return vm.said[-1]


def initialised(hub_db) -> None:
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        schema.migrate(conn)


async def test_join_tests_first_then_keeps_the_password_only_in_the_keyring_and_the_counter_pushes(
        page, hub_db, ring, tmp_path, caplog):
    initialised(hub_db)
    vm = page()
    caplog.set_level(logging.DEBUG)
    await vm.join(hub_db.url, hub_db.password)
    level, text = last(vm)
    assert level == Level.OK and "Joined the store hub at 127.0.0.1" in text and "now pushes" in text
    assert vm.joined and vm.joined_url == hub_db.url and vm.pushing
    assert hub_db.password not in (folders().hub_file).read_text()
    assert ring.get_password(SERVICE, KEYRING_ENTRY) == hub_db.password
    assert hub_db.password not in caplog.text and all(hub_db.password not in t for _, t in vm.said)
    rows = dict(vm.status_lines())
    assert rows["Reachable"].startswith("Yes (schema")
    assert rows["Audit chains"] == "all sound" and rows["Claim conflicts"] == "none"
    # the counter's push reaches the hub from the dialog's join, not at the next start
    async with asyncio.timeout(10):
        while True:
            await vm.refresh()
            rows = dict(vm.status_lines())  # an empty journal is "in sync" before its first push
            if rows["Behind"] == "in sync" and rows["This terminal's last push"] != "never":
                break
            await asyncio.sleep(0.05)  # polling the hub's status with a deadline, not a synchronisation sleep


async def test_a_wrong_password_says_so_and_saves_nothing(page, hub_db, tmp_path):
    initialised(hub_db)
    vm = page()
    await vm.join(hub_db.url, "not-the-password")
    level, text = last(vm)
    assert level == Level.ERROR
    assert text == "The hub refused the password for postgres: type it again. Nothing was saved."
    assert not vm.joined and not (folders().hub_file).exists() and not vm.pushing


async def test_an_unreachable_host_says_so_within_the_timeout_and_saves_nothing(page, tmp_path):
    vm = page()
    async with asyncio.timeout(8):
        await vm.join(f"postgresql://budtender@127.0.0.1:{free_port()}/hub", "pw")
    level, text = last(vm)
    assert level == Level.ERROR and "does not answer" in text and "Nothing was saved" in text
    assert not (folders().hub_file).exists()


async def test_no_tls_to_a_remote_host_is_refused_before_anything_is_sent(page):
    vm = page()
    await vm.join("postgresql://budtender@hub.store.lan/hub", "pw")
    level, text = last(vm)
    assert level == Level.ERROR and "TLS is required" in text and "?sslmode=verify-full" in text
    await vm.join("postgresql://budtender:pw@hub.store.lan/hub?sslmode=require", "pw")
    assert "Leave the password out of the URL" in last(vm)[1] and "standard input" not in last(vm)[1]
    assert not vm.joined


async def test_a_hub_with_no_schema_is_joined_and_initialise_schema_makes_it(page, hub_db):
    vm = page()
    await vm.join(hub_db.url, hub_db.password)
    level, text = last(vm)
    assert level == Level.INFO and "press Initialise schema" in text and vm.joined
    assert "Initialise schema" in dict(vm.status_lines())["Schema"]
    await vm.initialise()
    assert any(f"schema is version {schema.SCHEMA_VERSION} (was 0)" in t for _, t in vm.said)
    assert "Schema" not in dict(vm.status_lines())
    await vm.initialise()
    assert any("(it already was)" in t for _, t in vm.said)


async def test_a_hub_newer_than_this_app_is_not_joined(page, hub_db):
    initialised(hub_db)
    with psycopg.connect(hub_db.url, password=hub_db.password) as conn:
        conn.execute("UPDATE hub_meta SET value = '99' WHERE name = 'schema_version'")
    vm = page()
    await vm.join(hub_db.url, hub_db.password)
    level, text = last(vm)
    assert level == Level.ERROR and "newer than this app's" in text and "update this app" in text
    assert not vm.joined


async def test_test_uses_the_kept_password_when_the_field_is_left_empty_and_saves_nothing(page, hub_db):
    initialised(hub_db)
    vm = page()
    await vm.join(hub_db.url, hub_db.password)
    await vm.test(hub_db.url, "")
    assert last(vm) == (Level.OK, "The hub answers and this terminal may use it. Nothing was saved.")
    await vm.test(hub_db.url, "wrong")
    assert last(vm) == (Level.ERROR, "The hub refused the password for postgres: type it again.")
    assert vm.joined  # a failed test changes nothing


async def test_leave_forgets_both_and_the_counter_stops_pushing(page, hub_db, ring, tmp_path):
    initialised(hub_db)
    vm = page()
    await vm.join(hub_db.url, hub_db.password)
    assert vm.pushing
    await vm.leave()
    level, text = last(vm)
    assert level == Level.OK and "Left the store hub" in text and "stopped pushing" in text
    assert not vm.joined and not vm.pushing and not (folders().hub_file).exists()
    assert HubConfig(CredentialStore(ring)).password() is None
    assert vm.control.link is None


async def test_every_act_needs_a_manager(page, hub_db, tmp_path, caplog):
    initialised(hub_db)
    vm = page(approving=lambda: None)
    with caplog.at_level(logging.WARNING):
        await vm.join(hub_db.url, hub_db.password)
        assert last(vm) == (Level.ERROR, NEEDS_MANAGER)
        for act in (vm.test(hub_db.url, hub_db.password), vm.initialise(), vm.leave()):
            vm.said.clear()
            await act
            assert last(vm) == (Level.ERROR, NEEDS_MANAGER)
    assert not (folders().hub_file).exists()
    caplog.clear()  # the refusals' warnings were expected


async def test_training_never_joins_a_hub(page, hub_db, tmp_path):
    initialised(hub_db)
    vm = page(training=True)
    await vm.join(hub_db.url, hub_db.password)
    assert last(vm) == (Level.ERROR, TRAINING_WORDS)
    assert not (folders().hub_file).exists() and not vm.pushing


async def test_a_test_of_another_hub_names_it_in_the_status_so_it_is_never_taken_for_the_joined_one(page, hub_db):
    initialised(hub_db)
    vm = page()
    await vm.join(hub_db.url, hub_db.password)
    assert "Tested hub" not in dict(vm.status_lines())  # the joined hub's own status
    port = free_port()
    await vm.test(f"postgresql://budtender@127.0.0.1:{port}/other", "pw")
    rows = dict(vm.status_lines())
    assert rows["Tested hub"] == f"budtender@127.0.0.1:{port}/other" and rows["Reachable"].startswith("No:")
    assert vm.joined and vm.joined_url == hub_db.url
