"""The staff session (issue 13): who is signed in, what a wrong passcode is told, the idle lock."""

from __future__ import annotations

from datetime import UTC

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.messages import Level
from budtender_app.domain.staff import Actor as ChangeActor
from budtender_app.domain.staff import Role
from budtender_app.services.staff.store import StaffStore
from budtender_app.viewmodels.staff_session import StaffSession
from tests.helpers import MovingTime

KEY = bytes(range(32))
IT = ChangeActor.command_line("it")


Time = MovingTime


@pytest.fixture
def now():
    return Time()


@pytest.fixture
def store(tmp_path, now):
    with StaffStore(tmp_path / "staff.sqlite3", clock=now.clock(), lookup_key=KEY) as s:
        s.add("Dana Boss", Role.MANAGER, "2580", by=IT)
        s.add("Sam Till", Role.CASHIER, "4971", badge="BADGE-0042", by=IT)
        yield s


@pytest.fixture
def session(store, now):
    return StaffSession(store, now.clock())


@pytest.mark.asyncio
async def test_a_passcode_signs_in_its_owner_and_acts_as_them(session, store):
    names = []
    session.signed_in.connect(names.append)
    assert session.actor() == Actor.counter
    assert await session.sign_in("4971")
    sam = store.find("Sam Till")
    assert session.current == sam
    assert session.actor() == Actor(str(sam.id), "Sam Till")
    assert names == ["Sam Till"]
    assert session.message == (Level.CLEAR, "")


@pytest.mark.asyncio
async def test_a_badge_scan_signs_in_with_the_readers_enter_ignored(session):
    assert await session.sign_in(" BADGE-0042\n")
    assert session.current.name == "Sam Till"


@pytest.mark.asyncio
async def test_a_wrong_passcode_says_so_without_hinting_whose(session):
    assert not await session.sign_in("9999")
    assert session.message == (Level.ERROR, "That passcode is not right.")
    assert session.current is None
    assert session.actor() == Actor.counter
    assert not await session.sign_in("NOT-A-BADGE")
    assert session.message == (Level.ERROR, "That badge is not known here.")
    assert not await session.sign_in("   ")
    assert session.message[0] is Level.WARNING


@pytest.mark.asyncio
async def test_wrong_passcodes_lock_sign_in_with_the_seconds_left(session, now):
    for code in ("1111", "2222", "3333", "4444", "5555"):
        await session.sign_in(code)
    assert not await session.sign_in("4971")  # even the right one waits
    assert session.message == (Level.ERROR, "Sign-in is locked for 30 s after wrong passcodes.")
    now.pass_(31)
    assert await session.sign_in("4971")


@pytest.mark.asyncio
async def test_lock_signs_out_and_the_next_person_acts(session):
    outs = []
    session.signed_out.connect(lambda: outs.append(1))
    await session.sign_in("4971")
    session.lock()
    assert session.current is None and outs == [1]
    session.lock()  # nobody to sign out: no second signal
    assert outs == [1]
    await session.sign_in("2580")
    assert session.actor().name == "Dana Boss"


@pytest.mark.asyncio
async def test_idle_time_locks_and_a_touch_starts_it_again(session, now):
    await session.sign_in("4971")
    now.pass_(599)
    session.check_idle()
    assert session.current is not None
    session.touch()
    now.pass_(599)
    session.check_idle()
    assert session.current is not None
    now.pass_(1)
    session.check_idle()
    assert session.current is None
    assert session.message[0] is Level.INFO


@pytest.mark.asyncio
async def test_idle_seconds_is_the_stores_choice(store, now):
    session = StaffSession(store, now.clock(), idle_seconds=60)
    await session.sign_in("2580")
    now.pass_(60)
    session.check_idle()
    assert session.current is None


# -- shifts: each sign-in and sign-out on the audit trail ------------------------------------


@pytest.fixture
def recorded():
    return []


@pytest.fixture
def recording(store, now, recorded):
    return StaffSession(store, now.clock(), on_shift=lambda event, who, detail: recorded.append((event, who.name,
                                                                                                   detail)))


@pytest.mark.asyncio
async def test_sign_in_switch_idle_and_quit_are_recorded_with_who_and_why(recording, recorded, now):
    await recording.sign_in("4971")
    recording.lock()  # Switch cashier (Ctrl+L)
    await recording.sign_in("BADGE-0042")
    now.pass_(600)
    recording.check_idle()
    await recording.sign_in("2580")
    recording.quit()
    recording.quit()  # nobody left: nothing more
    assert recorded == [("signed_in", "Sam Till", "passcode"), ("signed_out", "Sam Till", "switched"),
                        ("signed_in", "Sam Till", "badge"), ("signed_out", "Sam Till", "idle"),
                        ("signed_in", "Dana Boss", "passcode"), ("signed_out", "Dana Boss", "quit")]
    assert recording.current is None


@pytest.mark.asyncio
async def test_a_wrong_passcode_records_nothing(recording, recorded):
    assert not await recording.sign_in("9999")
    recording.lock()
    assert recorded == []


@pytest.mark.asyncio
@pytest.mark.logs_expected(r"signed_in event could not be written")
async def test_a_record_that_fails_never_keeps_anyone_from_signing_in(store, now):
    def broken(event, who, detail):
        raise OSError("disk full")

    session = StaffSession(store, now.clock(), on_shift=broken)
    assert await session.sign_in("4971")
    assert session.current.name == "Sam Till"
    assert session.message == (Level.CLEAR, "")  # nothing scary for the cashier


@pytest.mark.asyncio
async def test_the_journal_holds_the_shift_and_the_export_names_who(store, now, tmp_path):
    import csv
    import io
    from datetime import date

    from budtender_app.domain.shift_report import day_range
    from budtender_app.services.shift_report import list_shifts
    from budtender_app.staff_signin import shift_recorder
    from tests.helpers import make_journal

    with make_journal(tmp_path, clock=now.clock()) as journal:
        session = StaffSession(store, now.clock(), on_shift=shift_recorder(journal))
        await session.sign_in("4971")
        now.pass_(3 * 3600)
        session.lock()
        (shift,) = list_shifts(journal.path, day_range(date(2026, 12, 1), UTC), store=journal.store)
        out = io.StringIO()
        journal.export_csv(out, date(2026, 12, 1), tz=UTC)
    assert (shift.staff.name, shift.times(UTC), shift.ended) == ("Sam Till", "15:00–18:00", "switched")
    rows = [(r["event"], r["staff"], r["detail"]) for r in csv.DictReader(io.StringIO(out.getvalue()))]
    assert rows == [("signed_in", "Sam Till", "passcode"), ("signed_out", "Sam Till", "switched")]


@pytest.mark.asyncio
async def test_switch_cashier_tells_the_next_person_the_sale_waits_for_them(session):
    assert await session.sign_in("4971")
    session.lock()
    level, text = session.message
    assert level == Level.INFO and "Sam Till signed out" in text and "comes back as it was" in text
