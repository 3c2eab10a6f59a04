"""The one clock: UTC moments, the store's zone for what people read, intervals that never jump."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from budtender_app.domain.clock import Clock

ADAK = ZoneInfo("America/Adak")  # UTC-10, with daylight saving
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: the first place a new day starts


def test_now_is_always_utc_whatever_zone_the_wall_clock_speaks():
    local = datetime(2027, 3, 14, 1, 59, tzinfo=ADAK)
    clock = Clock(wall=lambda: local, zone=ADAK)
    assert clock.now().tzinfo is UTC
    assert clock.now() == local


def test_a_naive_wall_clock_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        Clock(wall=lambda: datetime(2027, 1, 1)).now()  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError):
        Clock.fixed(datetime(2027, 1, 1))  # noqa: DTZ001 - naive on purpose


def test_today_is_the_stores_date_not_utcs():
    moment = datetime(2026, 12, 31, 11, 0, tzinfo=UTC)
    assert Clock.fixed(moment, zone=KIRITIMATI).today().isoformat() == "2027-01-01"
    assert Clock.fixed(moment, zone=ADAK).today().isoformat() == "2026-12-31"


def test_local_time_across_a_daylight_saving_change():
    before = datetime(2027, 3, 14, 11, 59, tzinfo=UTC)  # 01:59 HST in Adak
    clock = Clock.fixed(before, zone=ADAK)
    assert clock.local(before).strftime("%H:%M") == "01:59"
    assert clock.local(before + timedelta(minutes=2)).strftime("%H:%M") == "03:01"  # 02:xx never happens


def test_a_shifted_clock_moves_wall_and_ticks_together():
    clock = Clock.fixed(datetime(2026, 12, 1, tzinfo=UTC))
    later = clock.shifted(timedelta(hours=25))
    assert later.now() - clock.now() == timedelta(hours=25)
    assert later.monotonic() - clock.monotonic() == 25 * 3600
    assert later.epoch() == clock.epoch() + 25 * 3600


def test_the_clock_is_callable_where_a_plain_now_function_is_expected():
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert Clock.fixed(moment)() == moment
