"""An AIQ whose error messages echo the phone, the PIN and the API key, over real HTTP: after a
whole counter flow none of them is in the journal's files, the audit trail, the auditors' CSV,
the log file, or anything the view model showed."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import pytest_asyncio

from budtender_app.domain.flow import Step
from budtender_app.domain.redemption import Status
from budtender_app.services.aiq_client import AiqClient, AiqConfig
from budtender_app.services.logs import setup_logging
from budtender_app.viewmodels.redemption import RedemptionViewModel
from tests.helpers import make_journal, wait_for_step

# The faults these tests provoke are logged; any other WARNING/ERROR still fails (tests/helpers/logfail.py).
pytestmark = pytest.mark.logs_expected(r"budtender_app\.test: AIQ said")

PHONE = "5551234567"
PIN = "9317"
WRONG_PIN = "8642"
# Not shaped like a key (short pieces between dashes): only being told it is secret hides it.
KEY = "Echo-Key-Alpine-7"
TOKEN = "tok3nSECRETvalue99"
# What must never be written or shown, in any of the shapes the echoes use.
LEAKS = (PHONE, "555-123-4567", "(555) 123-4567", "555.123.4567", "1234567", KEY, KEY.lower(), TOKEN,
         f"code {PIN}", f"code {WRONG_PIN}", f"PIN {PIN}", f"pin={PIN}")


class EchoingAiq(BaseHTTPRequestHandler):
    """Answers like AIQ, except that every refusal quotes back what it was sent (and more)."""

    protocol_version = "HTTP/1.1"
    verifies = 0

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        key, phone = self.headers.get("X-APIKEY", ""), body.get("phone", "")
        if self.path.endswith("/verify/contact/wallet"):
            type(self).verifies += 1
            if type(self).verifies == 1:
                return self.answer(404, f"No contact for phone {phone} (+1 (555) 123-4567) with key {key}")
            return self.answer(200)
        if body.get("code") != PIN:
            return self.answer(400, f"code {body.get('code')} is wrong for {phone}; expected PIN {PIN}. key={key}")
        base = f"http://127.0.0.1:{self.server.server_port}"
        return self.answer(200, data={"loyaltyPoints": 500, "contactID": "c" * 32, "discountTemplates": [{
            "id": "d1", "name": "$5 off", "pointsDeduction": 100, "dollarValue": 5, "inStoreRedemption": True,
            "redemptionURL": f"{base}/api/v1.1/discount/redeem/1234/d1/{TOKEN}"}]})

    def do_PUT(self):
        key = self.headers.get("X-APIKEY", "")
        self.answer(400, f"Refused {self.path} for 555.123.4567; your key {key} / {key.lower()} "
                         f"is over its limit\nINFO budtender_app: redeemed, nothing to check")

    def answer(self, status, message="", data=None):
        payload = {"success": status == 200, "message": message} if data is None else {"success": True, "data": data}
        content = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


@pytest.fixture
def aiq():
    EchoingAiq.verifies = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingAiq)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def log_file(tmp_path):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    setup_logging(debug=True, log_dir=tmp_path / "logs").add_secret(KEY)  # as app.py does
    yield tmp_path / "logs" / "budtender.log"
    for handler in root.handlers[len(before):]:
        handler.close()
    root.handlers[:] = before
    root.setLevel(level)


@pytest_asyncio.fixture
async def counter(aiq, tmp_path, log_file):
    journal = make_journal(tmp_path)
    async with httpx.AsyncClient(timeout=5.0) as http:
        vm = RedemptionViewModel(AiqClient(http, AiqConfig(aiq, KEY, "1234")), journal)
        shown: list[str] = []
        vm.message_changed.connect(lambda _level, text: shown.append(text))
        vm.busy_changed.connect(shown.append)
        vm.outcomes_changed.connect(lambda: shown.extend(o.message for o in vm.outcomes))
        yield vm, journal, shown
        await vm.wait_idle()
    journal.close()


def assert_no_leak(where: str, text: str, leaks: tuple[str, ...] = LEAKS) -> None:
    low = text.lower()
    for leak in leaks:
        at = low.find(leak.lower())
        assert at < 0, f"{leak!r} in {where}: ...{text[max(at - 150, 0):at + 150]!r}..."


@pytest.mark.asyncio
async def test_nothing_aiq_echoes_is_kept_or_shown(counter, tmp_path, log_file):
    vm, journal, shown = counter
    vm.set_cart_text("40")
    vm.start()
    vm.submit_phone(PHONE)  # AIQ: "no contact for phone 5551234567 ... key ..."
    await vm.wait_idle()
    assert vm.step is not Step.PIN and vm.message[0] == "info"  # not a member: an offer to sign up
    vm.submit_phone(PHONE)
    await wait_for_step(vm, Step.PIN)
    vm.submit_pin(WRONG_PIN)  # AIQ: "code 8642 is wrong ...; expected PIN 9317. key=..."
    await vm.wait_idle()
    vm.submit_pin(PIN)
    await wait_for_step(vm, Step.WALLET)
    vm.toggle("d1")
    vm.apply_selection()
    vm.start_checkout()
    vm.confirm_checkout("T-1")  # AIQ refuses the PUT, quoting the path (token), the phone and the key
    await wait_for_step(vm, Step.DONE)
    assert [o.status for o in vm.outcomes] == [Status.REJECTED]
    assert "AIQ said" in vm.outcomes[0].message  # AIQ's words are kept, redacted, not dropped

    shown.extend([vm.message[1], vm.record()])
    assert_no_leak("what the view model showed", "\n".join(shown))
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("journal.sqlite3"))
    assert b"T-1" in files  # the journal is really in these bytes
    # The journal keeps a queued redemption's URL (its token) until the row is final: not checked here.
    assert_no_leak("the journal's files", files.decode("latin-1"), tuple(x for x in LEAKS if x != TOKEN))
    trail = "\n".join(f"{r.event} {r.discount_name} {r.detail}" for r in journal.audit.rows())
    assert "rejected" in trail
    assert_no_leak("the audit trail", trail)
    export = tmp_path / "audit.csv"
    journal.export_csv(export, date(2000, 1, 1))
    assert_no_leak("the auditors' CSV", export.read_text(encoding="utf-8"))
    logging.getLogger("budtender_app.test").warning("AIQ said %s for key %s", PHONE, KEY)  # the log is live
    for handler in logging.getLogger().handlers:
        handler.flush()
    log_text = log_file.read_text(encoding="utf-8")
    assert "***4567" in log_text
    assert_no_leak("the log file", log_text)
    assert not any(line.startswith("INFO budtender_app") for line in log_text.splitlines())  # no forged line
