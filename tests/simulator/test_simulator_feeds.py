"""The simulator's feeds (F1..F4) over real HTTP: what it accepts, refuses and keeps."""

from __future__ import annotations

import httpx
import pytest

from budtender_app.simulator.core import DEMO_API_KEY, DEMO_UID, Simulator
from budtender_app.simulator.server import SimulatorServer

SALE = f"/api/v1.1/createUpdateSale/{DEMO_UID}"
MEMBER = f"/api/v1.1/createUpdateMember/{DEMO_UID}"
MEMBERS = f"/api/v1.1/createUpdateMembers/{DEMO_UID}"
INVENTORY = f"/api/v1.1/createUpdateInventory/{DEMO_UID}"


@pytest.fixture
def server():
    with SimulatorServer(Simulator()) as running:
        yield running


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.url, headers={"X-APIKEY": DEMO_API_KEY}, timeout=10) as http:
        yield http


def visit(pos_id="T-1", total=40.0, **extra):
    return {"visit": {"pos_id": pos_id, "transaction_date": "2026-12-01 10:00:00 +0000",
                      "transaction_total": total, "location": "Main St",
                      "visit_details_attributes": [{"sku": "A1", "price": 40.0, "quantity": 1}], **extra}}


def test_a_sale_is_kept_by_pos_id_and_a_resend_updates_it(client, server):
    first = client.post(SALE, json=visit(total=40.0))
    again = client.post(SALE, json=visit(total=35.0))
    assert first.json() == {"success": True, "data": {"pos_id": "T-1", "updated": False}}
    assert again.json()["data"]["updated"] is True
    assert server.simulator.sales["T-1"]["visit"]["transaction_total"] == 35.0
    assert server.simulator.feed_events == [("sale", "T-1"), ("sale", "T-1")]


@pytest.mark.parametrize("body", [{}, {"visit": {"transaction_total": 1}}, visit(total="40"),
                                  visit(visit_details_attributes="A1")])
def test_a_sale_without_its_key_or_with_a_bad_total_is_refused(client, server, body):
    answer = client.post(SALE, json=body)
    assert answer.status_code == 400 and answer.json()["success"] is False
    assert server.simulator.sales == {}


def test_the_sale_feed_needs_the_account_uid_and_the_key(client, server):
    assert client.post("/api/v1.1/createUpdateSale/999", json=visit()).status_code == 404
    assert httpx.post(server.url + SALE, json=visit()).status_code == 403
    assert server.simulator.sales == {}


def test_a_member_with_an_invalid_phone_is_stored_blank_as_aiq_does(client, server):
    answer = client.post(MEMBER, json={"member": {"phone_number": "555-123", "email": "a@b.example",
                                                  "first_name": "Ann", "loyalty": False}})
    assert answer.status_code == 200 and answer.json()["data"]["contactID"]
    assert server.simulator.feed_members[0]["phone_number"] == ""


def test_members_in_bulk_are_matched_by_phone_and_loyalty_only_when_sent_true(client, server):
    body = [{"phone_number": "5550001111", "first_name": "A"}, {"phone_number": "5550001111", "loyalty": True}]
    data = client.post(MEMBERS, json=body).json()["data"]
    assert data[0]["contactID"] == data[1]["contactID"]  # the duplicate is the same contact
    assert [m["phone_number"] for m in server.simulator.feed_members] == ["5550001111", "5550001111"]
    assert client.post(MEMBERS, json={"member": {}}).status_code == 400


def test_inventory_takes_at_most_100_items_each_with_sku_or_product_id(client, server):
    items = [{"sku": f"S{i}", "name": "x"} for i in range(99)] + [{"productId": "P1"}]
    assert client.post(INVENTORY, json=items).json() == {"success": True, "data": []}
    assert len(server.simulator.inventory) == 100
    too_many = client.post(INVENTORY, json=[{"sku": f"N{i}"} for i in range(101)])
    assert too_many.status_code == 400 and "100" in too_many.json()["message"]
    no_key = client.post(INVENTORY, json=[{"sku": "OK"}, {"name": "nameless"}])
    assert no_key.status_code == 400 and "Item 1" in no_key.json()["message"]
    assert "OK" not in server.simulator.inventory and len(server.simulator.inventory) == 100


def test_feed_faults_are_injectable_like_other_routes(client, server):
    server.inject(503, path_prefix="/api/v1.1/createUpdateInventory")
    assert client.post(INVENTORY, json=[{"sku": "A"}]).status_code == 503
    assert server.simulator.inventory == {}
    assert client.post(INVENTORY, json=[{"sku": "A"}]).status_code == 200
    assert [r.fault for r in server.simulator.requests] == [503, None]
