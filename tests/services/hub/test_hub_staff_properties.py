"""Free-form input through the staff sync, with a real hub (issue 15): any name a manager may give
arrives unchanged at the other register and signs in there; whatever a hand-edited (or hostile) hub
row holds, a register's sync never fails, never writes an unusable hash or an impossible lockout,
and sign-in goes on answering."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budtender_app.domain.staff import Actor, CheckStatus, Role, StaffRuleError, check_name
from budtender_app.services.hub import schema
from budtender_app.services.hub.config import connect, parse_hub_url
from budtender_app.services.hub.staff_sync import sync
from budtender_app.services.slow_hash import slow_hash
from budtender_app.services.staff.hub_link import HubAccount
from budtender_app.services.staff.store import StaffStore
from tests.helpers import MovingTime

pytestmark = pytest.mark.hub

IT = Actor.command_line("it")
KEY = bytes(range(32))
_runs = itertools.count()
HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def hub(hub_db):
    args = parse_hub_url(hub_db.url).connect_args(hub_db.password)
    with connect(args) as conn:
        schema.migrate(conn)
    return args


def clean(text: str | None) -> str | None:
    """PostgreSQL's text holds no NUL."""
    return text.replace("\x00", "") if text is not None else None


def valid_name(text: str) -> bool:
    try:
        check_name(text)
    except StaffRuleError:
        return False
    return True


@HYPOTHESIS
@given(name=st.text(min_size=1, max_size=40).filter(valid_name))
def test_any_name_a_manager_may_give_arrives_unchanged_and_signs_in(hub, tmp_path, name):
    run, time_ = next(_runs), MovingTime()
    shop = f"store {run}"  # each example its own store on the one hub
    one = StaffStore(tmp_path / f"{run}a.sqlite3", clock=time_.clock(), lookup_key=KEY)
    two = StaffStore(tmp_path / f"{run}b.sqlite3", clock=time_.clock(), lookup_key=KEY)
    try:
        added = one.add(name, Role.MANAGER, "4826", by=IT)
        with connect(hub) as conn:
            sync(conn, shop, "r1", one, time_.moment)
            sync(conn, shop, "r2", two, time_.moment)
        check = two.identify("4826")
        assert check.ok and check.member.name == added.name
    finally:
        one.close()
        two.close()


_text = st.one_of(st.none(), st.text(max_size=60), st.just(slow_hash("4826").encode()),
                  st.just("scrypt$1048576$8$1$AAAA$AAAA"), st.just("scrypt$16384$8$1$%%%$!!"))
_number = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True))


@HYPOTHESIS
@given(name=st.text(max_size=60), role=st.sampled_from(["cashier", "manager"]), passcode_hash=_text,
       tag=_text, badge_hash=_text, removed=st.booleans(), failures=st.integers(-10**6, 10**6),
       locked_until=_number, level=st.integers(-10**6, 10**6), last_lockout=_number)
def test_a_hand_edited_hub_row_never_breaks_a_register(hub, tmp_path, name, role, passcode_hash, tag, badge_hash,
                                                      removed, failures, locked_until, level, last_lockout):
    """As written by a register that has the store's key (so its seal checks) but anything at all in it."""
    run, time_ = next(_runs), MovingTime()
    shop = f"store {run}"
    store = StaffStore(tmp_path / f"{run}.sqlite3", clock=time_.clock(), lookup_key=KEY)
    row = HubAccount(uid="u1", name=clean(name), role=Role(role), passcode_hash=clean(passcode_hash) or "",
                     passcode_tag=clean(tag), badge_hash=clean(badge_hash), removed=removed)
    row = store.link().seal(shop, row)
    try:
        with connect(hub) as conn:
            conn.execute("INSERT INTO hub_staff_stores (store, tag_salt) VALUES (%s, %s)", (shop, "ab" * 16))
            conn.execute("INSERT INTO hub_staff (store, uid, name, name_key, role, passcode_hash, passcode_tag, "
                         "badge_hash, mac, removed_at, updated_by, failures, locked_until, level, last_lockout) "
                         "VALUES (%s, 'u1', %s, %s, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END, 'x', "
                         "%s, %s, %s, %s)",
                         (shop, row.name, row.name.casefold(), role, row.passcode_hash, row.passcode_tag,
                          row.badge_hash, row.mac, removed, max(min(failures, 2**31 - 1), -(2**31)), locked_until,
                          max(min(level, 2**31 - 1), -(2**31)), last_lockout))
            conn.commit()
        store.add("Ana", Role.MANAGER, "5071", by=IT)
        with connect(hub) as conn:
            sync(conn, shop, "r1", store, time_.moment)
        for member in store.list():
            check = store.verify(member.id, "4826")
            assert check.status in set(CheckStatus)
            assert math.isfinite(float(check.seconds_left)) and check.seconds_left <= 3600
        assert store.identify("5071").status in (CheckStatus.OK, CheckStatus.LOCKED)
    finally:
        store.close()
