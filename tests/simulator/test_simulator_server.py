"""The simulated AIQ over real HTTP: the faults client tests inject, and a stop that never hangs."""

from __future__ import annotations

import io
import re
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from budtender_app.simulator.core import DEMO_API_KEY, DEMO_PHONE, Simulator
from budtender_app.simulator.server import SimulatorServer, run_standalone

REDEEM = "/api/v1.1/discount/redeem"


@pytest.fixture
def sim():
    return Simulator(pin_source=lambda: "4321")


@pytest.fixture
def server(sim):
    with SimulatorServer(sim) as running:
        yield running


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, headers={"X-APIKEY": DEMO_API_KEY}, timeout=10) as http:
        yield http


def ten_off_url(client):
    client.post("/api/v2/verify/contact/wallet", json={"phone": DEMO_PHONE})
    wallet = client.post("/api/v2/view/contact/wallet", json={"phone": DEMO_PHONE, "code": "4321"}).json()["data"]
    return next(t for t in wallet["discountTemplates"] if t["name"] == "$10 off your order")["redemptionURL"]


def test_the_server_answers_over_http_and_hands_out_its_own_redemption_urls(server, client, sim):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url) and sim.base_url == server.url
    url = ten_off_url(client)
    assert url.startswith(server.url + REDEEM + "/1234/102/")
    answer = client.put(url + "/TX%2F9")
    assert (answer.status_code, answer.json()["data"]["id"]) == (200, "r-0001")
    assert sim.redemptions[0].transaction_id == "TX/9"
    assert client.get("/api/v1.1/piis/1234", headers={"X-APIKEY": "wrong"}).status_code == 403


@pytest.mark.parametrize("status", [429, 500, 503])
def test_an_injected_status_answers_without_touching_state(server, client, sim, status):
    url = ten_off_url(client)
    server.inject(status, path_prefix=REDEEM)
    answer = client.put(url + "/TX-1")
    assert (answer.status_code, answer.json()) == (status, {"success": False, "message": "Injected failure"})
    assert sim.redemptions == [] and sim.points_of(DEMO_PHONE) == 1_500
    assert sim.requests[-1].fault == status


def test_drop_before_closes_without_redeeming(server, client, sim):
    url = ten_off_url(client)
    server.inject("drop_before", path_prefix=REDEEM)
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(url + "/TX-1")
    assert sim.redemptions == [] and sim.points_of(DEMO_PHONE) == 1_500
    assert sim.requests[-1].fault == "drop_before"


def test_drop_after_redeems_then_closes_so_the_outcome_is_unknown_to_the_client(server, client, sim):
    url = ten_off_url(client)
    server.inject("drop_after", path_prefix=REDEEM)
    with pytest.raises(httpx.RemoteProtocolError):
        client.put(url + "/TX-1")
    assert [r.transaction_id for r in sim.redemptions] == ["TX-1"]
    assert sim.points_of(DEMO_PHONE) == 1_250
    assert sim.requests[-1].fault == "drop_after"


def test_garbage_is_a_200_that_is_not_json(server, client):
    server.inject("garbage")
    answer = client.get("/api/v1.1/piis/1234?search=0000&limit=1")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_truncated_promises_more_body_than_it_sends(server, client, sim):
    server.inject("truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/api/v2/wallet", json={"phone": DEMO_PHONE})
    assert sim.requests[-1].fault == "truncated"


def test_faults_apply_to_matching_requests_in_order_then_stop(server, client):
    server.inject(503, path_prefix="/api/v1.1/piis", count=2)
    server.inject("garbage", path_prefix="/api/v1.1/piis")
    assert client.post("/api/v2/wallet", json={"phone": DEMO_PHONE}).status_code == 200  # no match
    codes = [client.get("/api/v1.1/piis/1234?search=0000").status_code for _ in range(4)]
    assert codes == [503, 503, 200, 200]
    assert client.get("/api/v1.1/piis/1234?search=0000").json()["success"] is True


@pytest.mark.parametrize("kind", ["explode", True, 99, 600])
def test_an_unknown_fault_kind_is_refused(server, kind):
    with pytest.raises(ValueError):
        server.inject(kind)


def test_a_hang_outlasts_the_read_timeout_and_redeems_nothing(server, client, sim):
    url = ten_off_url(client)
    server.inject("hang", path_prefix=REDEEM)
    with (httpx.Client(headers={"X-APIKEY": DEMO_API_KEY}, timeout=httpx.Timeout(10, read=0.2)) as impatient,
          pytest.raises(httpx.ReadTimeout)):
        impatient.put(url + "/TX-1")
    assert server.hanging == 1
    assert sim.redemptions == [] and sim.requests[-1].fault == "hang"


def test_release_answers_a_hung_request_late(server, client, sim):
    url = ten_off_url(client)
    server.inject("hang", path_prefix=REDEEM)
    result = {}
    waiter = threading.Thread(target=lambda: result.update(answer=client.put(url + "/TX-1")))
    waiter.start()
    assert server.wait_hanging(1)
    assert sim.redemptions == []
    server.release()
    waiter.join(timeout=10)
    assert result["answer"].status_code == 200
    assert [r.transaction_id for r in sim.redemptions] == ["TX-1"]
    assert [r.path.startswith(REDEEM) for r in sim.requests].count(True) == 1  # recorded once


def test_stop_does_not_hang_on_a_hung_request_or_an_idle_connection(sim):
    server = SimulatorServer(sim).start()
    idle = httpx.Client(base_url=server.url, headers={"X-APIKEY": DEMO_API_KEY}, timeout=30)
    assert idle.get("/api/v1.1/piis/1234?search=0000").status_code == 200  # keeps a connection open
    server.inject("hang")
    errors = []

    def stuck():
        try:
            idle.get("/api/v1.1/piis/1234?search=0000")
        except httpx.HTTPError as exc:
            errors.append(exc)

    waiter = threading.Thread(target=stuck)
    waiter.start()
    assert server.wait_hanging(1)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(timeout=10)
    assert not stopper.is_alive(), "stop() hung"
    waiter.join(timeout=10)
    assert len(errors) == 1 and isinstance(errors[0], httpx.RemoteProtocolError)
    idle.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/api/v1.1/piis/1234", timeout=5)


def test_latency_delays_answers_and_can_change_while_running(server, client):
    server.latency = 30
    with pytest.raises(httpx.ReadTimeout):
        client.get("/api/v1.1/piis/1234?search=0000", timeout=httpx.Timeout(10, read=0.2))
    server.latency = 0
    assert client.get("/api/v1.1/piis/1234?search=0000").status_code == 200


def test_the_server_is_quiet_about_keys_phones_and_pins(server, client, capfd):
    ten_off_url(client)
    client.get("/api/v3/nothing")
    server.inject("drop_before")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/api/v2/wallet", json={"phone": DEMO_PHONE})
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_run_standalone_prints_how_to_connect_and_each_pin_masked():
    stop = threading.Event()
    printed = _Lines()
    result = {}
    runner = threading.Thread(target=lambda: result.update(rc=run_standalone(0, 0.0, stop_event=stop, out=printed)))
    runner.start()
    try:
        assert printed.wait_for(1)
        banner = printed.lines[0]
        url = re.search(r"http://127\.0\.0\.1:\d+", banner).group()
        assert DEMO_API_KEY in banner and "1234" in banner and DEMO_PHONE in banner
        sent = httpx.post(url + "/api/v2/verify/contact/wallet", json={"phone": DEMO_PHONE},
                          headers={"X-APIKEY": DEMO_API_KEY}, timeout=10)
        assert sent.status_code == 200
        assert printed.wait_for(2)
        assert re.fullmatch(r"PIN for \*\*\*-\*\*\*-4567: \d{4}", printed.lines[1])
    finally:
        stop.set()
        runner.join(timeout=10)
    assert result == {"rc": 0}


class _Lines(io.TextIOBase):
    """A stream that lets a test wait for lines instead of sleeping."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._buffer = ""
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self._buffer += text
            *done, self._buffer = self._buffer.split("\n")
            self.lines += done
            self._changed.notify_all()
        return len(text)

    def wait_for(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.lines) >= count, timeout=10)


def test_redemption_url_path_survives_the_round_trip(server, client, sim):
    """The URL the wallet gives is exactly what the simulator's helper gives (tests build on it)."""
    url = ten_off_url(client)
    assert url == sim.redemption_url(DEMO_PHONE, "102")
    assert urlsplit(url).hostname == "127.0.0.1"


def test_an_injected_status_can_carry_a_body_and_headers(server, client, sim):
    url = ten_off_url(client)
    server.inject(303, path_prefix=REDEEM, body={"success": False, "message": "moved"},
                  headers={"Location": "http://elsewhere.invalid/x", "Retry-After": "5"})
    answer = client.put(url + "/TX-1", follow_redirects=False)
    assert (answer.status_code, answer.json()["message"]) == (303, "moved")
    assert (answer.headers["location"], answer.headers["retry-after"]) == ("http://elsewhere.invalid/x", "5")
    server.inject(404, path_prefix=REDEEM, body=b"<html>Not Found</html>")
    answer = client.put(url + "/TX-1")
    assert (answer.status_code, answer.headers["content-type"]) == (404, "text/html")
    assert answer.text == "<html>Not Found</html>"
    server.inject(400, path_prefix=REDEEM, body=None)
    assert (client.put(url + "/TX-1").content, sim.redemptions) == (b"", [])


@pytest.mark.parametrize("status", [204, 304])
def test_an_injected_answer_that_has_no_body_sends_none_and_the_connection_goes_on(server, client, status):
    url = ten_off_url(client)
    server.inject(status, path_prefix=REDEEM)
    answer = client.put(url + "/TX-1")
    assert (answer.status_code, answer.content) == (status, b"")
    assert client.put(url + "/TX-2").status_code == 200  # the same keep-alive connection still reads right


def test_a_wrong_pin_shape_with_a_raw_body_is_served_as_text(server, client, sim):
    from budtender_app.simulator.core import WRONG_PIN_SHAPES

    sim.answer_with("wrong_pin", *WRONG_PIN_SHAPES["400 text"])
    client.post("/api/v2/verify/contact/wallet", json={"phone": DEMO_PHONE})
    answer = client.post("/api/v2/view/contact/wallet", json={"phone": DEMO_PHONE, "code": "0000"})
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (400, "text/html", b"Bad Request")
