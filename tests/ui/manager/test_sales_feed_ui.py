"""The sales feed in the manager's screens (issue 16): the store setting asks before it goes on and
warns while it is on; the Redemptions window lists what was sent with its state and lets a
refused sale be sent again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from budtender_app.domain.actor import Actor
from budtender_app.domain.clock import Clock
from budtender_app.domain.settings import StoreProfile, change_note, validate_profile
from budtender_app.services.sale_feed.feed import SaleFeed
from budtender_app.services.sale_feed.outbox import SaleOutbox
from budtender_app.services.sale_feed.sender import SaleSender
from budtender_app.services.settings_store import SettingsStore, SettingsUnreadable
from budtender_app.ui.manager.sales_sent_tab import SalesSentTab
from budtender_app.ui.manager.store_form import StoreForm
from budtender_app.viewmodels.sales_sent import SalesSentViewModel
from tests.helpers import make_journal

CASHIER = Actor("7", "Dana Cashier")
AT = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
FIELDS = {"name": "Main St", "store_id": "42", "uid": "1234", "brand": "Green Leaf", "country": "US"}


def test_the_setting_is_off_by_default_and_kept_in_the_settings_file(tmp_path):
    profile, _ = validate_profile(FIELDS)
    assert profile is not None and profile.send_sales is False
    on, _ = validate_profile({**FIELDS, "send_sales": True})
    assert on is not None and on.send_sales and "send_sales changed" in change_note(profile, on, key_replaced=False)
    store = SettingsStore(tmp_path / "settings.json")
    store.update(lambda s: s.with_profile(on))
    assert store.read().active_profile.send_sales is True


def test_a_setting_edited_by_hand_into_text_is_refused_not_half_read(tmp_path):
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    store.update(lambda s: s.with_profile(StoreProfile(name="Main St", store_id="42", uid="1234", brand="B")))
    path.write_text(path.read_text().replace('"send_sales": false', '"send_sales": "yes"'))
    with pytest.raises(SettingsUnreadable, match="send_sales"):
        store.read()


def test_turning_it_on_asks_first_and_no_keeps_it_off(qtbot):
    form = StoreForm()
    qtbot.addWidget(form)
    form.show()
    form.fill(FIELDS, key_stored=True)
    row = form.send_sales_row
    assert not row.on and not row.warning_label.isVisible()
    row.check.click()
    assert not row.on and row.confirm.isVisible() and "count twice" in row.question_label.text()
    row.confirm.no_button.click()
    assert not row.on and form.fields()["send_sales"] is False and not row.question_label.isVisible()
    edited = []
    form.edited.connect(lambda: edited.append(1))
    row.check.click()
    row.confirm.yes_button.click()
    assert row.on and row.warning_label.isVisible() and form.fields()["send_sales"] is True and edited
    row.check.click()  # off needs no question
    assert not row.on and not row.confirm.isVisible() and form.fields()["send_sales"] is False


def test_a_saved_setting_shows_on_without_asking_again(qtbot):
    form = StoreForm()
    qtbot.addWidget(form)
    form.show()
    form.fill({**FIELDS, "send_sales": True}, key_stored=True)
    assert form.send_sales_row.on and not form.send_sales_row.confirm.isVisible()


@pytest.fixture
def listed(tmp_path):
    clock = Clock.fixed(AT)
    with make_journal(tmp_path, "Main St", clock=clock) as journal:
        outbox = SaleOutbox(journal)

        class NoApi:
            async def post_sale(self, visit, *, member=None):
                raise AssertionError("not sent in this test")

        feed = SaleFeed(outbox, SaleSender(NoApi(), outbox, clock=clock), enabled=lambda: True,
                        location=lambda: "Main St")
        yield outbox, journal, SalesSentViewModel(feed, journal, clock, enabled=lambda: True)


def fill(outbox, journal):
    with journal.atomic() as conn:
        sent, waiting, refused = (outbox.hold_sale(conn, txid, Decimal(total), location="Main St", contact_id="C1",
                                                   shopper_masked="***-***-4567", staff=CASHIER)
                                  for txid, total in (("POS-1", "42.50"), ("POS-2", "12"), ("POS-3", "8.25")))
    outbox.start(sent.id)
    outbox.sent(sent.id)
    outbox.start(waiting.id)
    outbox.again(waiting.id, "AIQ is having trouble (HTTP 503). Try again in a moment.", AT + timedelta(minutes=2))
    outbox.start(refused.id)
    outbox.refused(refused.id, "AIQ did not accept this sale: unknown store")
    return sent, waiting, refused


def test_the_list_shows_each_sale_with_its_state_and_sends_a_refused_one_again(qtbot, listed):
    outbox, journal, vm = listed
    *_, refused = fill(outbox, journal)
    tab = SalesSentTab(vm)
    qtbot.addWidget(tab)
    states = [tab.table.item(r, 5).text() for r in range(tab.table.rowCount())]
    assert states == ["Refused: AIQ did not accept this sale: unknown store",
                      "Waiting: tried 1×, again at 19:02 (AIQ is having trouble (HTTP 503). Try again in a moment.)",
                      "Sent"]
    assert "1 sent, 1 waiting, 1 refused" in tab.heading_label.text()
    assert tab.table.item(0, 1).text() == "POS-3" and tab.table.item(0, 3).text() == "$8.25"
    tab.table.selectRow(2)
    assert not tab.resend_button.isEnabled()
    tab.table.selectRow(0)
    assert tab.resend_button.isEnabled()
    tab.resend_button.click()
    assert outbox.get(refused.id).state.value == "waiting" and tab.table.item(0, 5).text() == "Waiting to be sent"
