"""Open311 GeoReport v2: the standard's routes, fields and errors, in JSON and XML, with no personal data out."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterator, List

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

import tickets.open311 as open311
from bot.settings import Settings
from bot.staff.app import create_app
from bot.staff.open311 import open311_router
from policy_kb.catalogue import CATALOGUE_DIR, load_catalogue
from tests.staff.conftest import staff_settings
from tickets.db import session_scope
from tickets.models import Ticket, TicketEvent, TicketKind, TicketStatus
from tickets.routing import Router
from tickets.schemas import BookingCreate, TicketCreate
from tickets.service import TicketService

API_KEY = "open311-test-key"
PHONE = "13812345678"
NAME = "张三丰"
SENDER = "wx-openid-7f3a9c"
EMAIL = "zhang.sanfeng@example.com"
DEVICE = "device-42"
TRANSCRIPT_ONLY = "只在对话记录里的话"
V2 = "/open311/v2"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
TICKET_NUMBER = re.compile(r"^GD\d{8}-\d{4}$")


@pytest.fixture
def store(sqlite_url, clock) -> TicketService:
    return TicketService(sqlite_url, clock=clock)


def client_for(store: TicketService, api_key: str | None = API_KEY, **router_options) -> TestClient:
    settings = Settings(database_url=store.database_url, open311_api_key=api_key)
    app = FastAPI()
    app.include_router(open311_router(settings, store, **router_options))
    return TestClient(app)


@pytest.fixture
def client(store) -> Iterator[TestClient]:
    with client_for(store) as test_client:
        yield test_client


def form(**overrides: str) -> Dict[str, str]:
    fields = {
        "api_key": API_KEY,
        "service_code": "noise",
        "lat": "32.0415",
        "long": "118.7849",
        "address_string": "幸福小区3栋楼下",
        "description": f"楼上半夜装修太吵了，有事打我电话{PHONE}",
        "media_url": "https://img.example.org/noise.jpg",
        "email": EMAIL,
        "first_name": "三丰",
        "last_name": "张",
        "phone": PHONE,
        "device_id": DEVICE,
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def _without(*names: str) -> Dict[str, str]:
    return {name: value for name, value in form().items() if name not in names}


def file(client: TestClient, fmt: str = "json", **overrides: str):  # type: ignore[no-untyped-def]
    return client.post(f"{V2}/requests.{fmt}", data=form(**overrides))


def filed_number(client: TestClient, **overrides: str) -> str:
    response = file(client, **overrides)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


def resident_ticket(
    store: TicketService, kind: TicketKind = TicketKind.complaint, text: str = "3号楼电梯又坏了"
) -> str:
    """A ticket as the assistant files it: full of the resident's contact data."""
    ticket = store.open_ticket(
        TicketCreate(
            kind=kind,
            title=text[:60],
            description=f"{text}，我叫{NAME}，电话 {PHONE}，邮箱 {EMAIL}",
            address="3栋2单元501",
            channel="wechat",
            sender_id=SENDER,
            contact_name=NAME,
            contact_phone=PHONE,
            transcript=[{"role": "resident", "text": TRANSCRIPT_ONLY}],
        )
    )
    return ticket.number


def change_ticket(store: TicketService, number: str, **values) -> None:
    with session_scope(store.database_url) as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(**values))


def numbers(response) -> List[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [row["service_request_id"] for row in response.json()]


def xml_root(response) -> ET.Element:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)


def assert_error(response, status: int, fmt: str = "json", mentions: str = "") -> None:  # type: ignore[no-untyped-def]
    """The standard's error shape: a list of code and description, the code the HTTP status."""
    assert response.status_code == status, response.text
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "errors"
        errors = [{child.tag: child.text for child in error} for error in root]
        assert [error.tag for error in root] == ["error"] * len(errors)
        assert all(set(error) == {"code", "description"} and error["code"] == str(status) for error in errors)
    else:
        errors = response.json()
        assert isinstance(errors, list) and errors
        assert all(set(error) == {"code", "description"} and error["code"] == status for error in errors)
    assert mentions in " ".join(str(error["description"]) for error in errors)


def stored_count(store: TicketService) -> int:
    store.ensure_schema()
    with session_scope(store.database_url) as session:
        return len(session.execute(select(Ticket.id)).all())


# --- services -------------------------------------------------------------------------------------------------------


def test_services_are_the_complaint_categories_suggestions_and_the_bookable_services(client):
    response = client.get(f"{V2}/services.json")
    assert response.status_code == 200
    services = {service["service_code"]: service for service in response.json()}
    assert all(list(service) == SERVICE_FIELDS for service in services.values())
    router = Router()
    for route in router.complaint_routes:
        assert services[route.id]["service_name"] == route.name
        assert services[route.id]["type"] == "realtime"
        assert services[route.id]["metadata"] is False
        assert route.department in services[route.id]["description"]
    assert services["noise"]["keywords"].split(",")[:2] == ["吵", "噪音"]
    assert services["suggestion"]["type"] == "realtime"
    bookable = load_catalogue().bookable()
    assert bookable, "the sample catalogue has bookable services"
    for entry in bookable:
        assert services[entry.id]["service_name"] == entry.name
        assert services[entry.id]["type"] == "blackbox"
        assert services[entry.id]["group"] == entry.category
    assert not {"emergency", "handoff", "legal"} & set(services)
    assert len(services) == len(router.complaint_routes) + 1 + len(bookable)


def test_services_in_xml_have_the_standards_elements(client):
    root = xml_root(client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    assert all([field.tag for field in service] == SERVICE_FIELDS for service in root)
    json_codes = [service["service_code"] for service in client.get(f"{V2}/services.json").json()]
    assert [service.findtext("service_code") for service in root] == json_codes
    assert {service.findtext("metadata") for service in root} == {"false"}
    assert {service.findtext("type") for service in root} == {"realtime", "blackbox"}


def test_discovery_says_where_the_endpoint_is_and_what_it_speaks(client):
    document = client.get(f"{V2}/discovery.json").json()
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"http://testserver{V2}"
    assert client.get(f"{endpoint['url']}/services.json").status_code == 200  # the URL works as given
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]
    assert datetime.fromisoformat(document["changeset"]).tzinfo is not None
    root = xml_root(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert sorted(format.text for format in root.iterfind("endpoints/endpoint/formats/format")) == sorted(
        endpoint["formats"]
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_is_never_found_because_requests_get_their_id_at_once(client, fmt):
    assert_error(client.get(f"{V2}/tokens/abc123.{fmt}"), 404, fmt, "service_request_id")


@pytest.mark.parametrize("code", ["noise", "suggestion", "elderly-meal"])
def test_a_service_definition_has_an_empty_attribute_list(client, code):
    assert client.get(f"{V2}/services/{code}.json").json() == {"service_code": code, "attributes": []}
    root = xml_root(client.get(f"{V2}/services/{code}.xml"))
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    assert root.findtext("service_code") == code and list(root.find("attributes")) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404(client, fmt):
    assert_error(client.get(f"{V2}/services/no-such-thing.{fmt}"), 404, fmt, "no-such-thing")
    assert_error(client.get(f"{V2}/services/emergency.{fmt}"), 404, fmt)


def test_an_unsupported_format_is_404(client):
    assert_error(client.get(f"{V2}/services.csv"), 404, mentions="csv")
    assert_error(client.get(f"{V2}/requests.html"), 404)


def test_the_bookable_services_follow_the_catalogue_and_survive_a_broken_edit(store, tmp_path):
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, folder)
    client = client_for(store, catalogue=folder)
    assert "elderly-meal" in [s["service_code"] for s in client.get(f"{V2}/services.json").json()]
    elderly = folder / "elderly.yml"
    elderly.write_text(elderly.read_text(encoding="utf-8").replace("name: 老年助餐", "name: 长者助餐", 1), "utf-8")
    renamed = {s["service_code"]: s for s in client.get(f"{V2}/services.json").json()}
    assert renamed["elderly-meal"]["service_name"] == "长者助餐"
    (folder / "typo.yml").write_text("topic: [unclosed\n", encoding="utf-8")
    kept = {s["service_code"]: s for s in client.get(f"{V2}/services.json").json()}
    assert kept["elderly-meal"]["service_name"] == "长者助餐"


# --- filing ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("configured, given", [(None, API_KEY), (None, None), (API_KEY, None), (API_KEY, "wrong")])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_filing_is_refused_without_the_right_api_key(store, configured, given, fmt):
    client = client_for(store, api_key=configured)
    response = client.post(f"{V2}/requests.{fmt}", data=form(api_key=given) if given else _without("api_key"))
    assert_error(response, 403, fmt, "api_key" if configured else "not enabled")
    assert stored_count(store) == 0


def test_the_api_key_may_come_in_the_query_string(client):
    response = client.post(f"{V2}/requests.json?api_key={API_KEY}", data=_without("api_key"))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body, mentions",
    [
        (_without("service_code"), "service_code was not provided"),
        (form(service_code=""), "service_code was not provided"),
        (_without("lat", "long", "address_string"), "location is required"),
        (form(long="", address_string=""), "lat and long"),
        (form(lat="north"), "lat"),
        (form(lat="95"), "lat"),
        (form(long="-181"), "long"),
        (form(media_url="javascript:alert(1)"), "media_url"),
        (form(phone="1" * 31), "phone"),
        (form(description="长" * 4001), "description"),
    ],
)
def test_bad_requests_are_400_and_store_nothing(client, store, body, mentions):
    assert_error(client.post(f"{V2}/requests.json", data=body), 400, mentions=mentions)
    assert stored_count(store) == 0


def test_errors_of_a_post_to_xml_are_xml(client):
    assert_error(client.post(f"{V2}/requests.xml", data=_without("service_code")), 400, "xml", "service_code")


def test_an_unknown_service_code_is_404_and_a_bookable_one_is_sent_to_the_assistant(client, store):
    assert_error(file(client, service_code="potholes"), 404, mentions="potholes")
    assert_error(file(client, service_code="emergency"), 404)
    assert_error(file(client, service_code="elderly-meal"), 400, mentions="booked")
    assert stored_count(store) == 0


def test_a_non_form_or_oversized_body_is_400(client, store):
    assert_error(client.post(f"{V2}/requests.json", json=form()), 400, mentions="x-www-form-urlencoded")
    assert_error(client.post(f"{V2}/requests.json", data=form(media_url="https://x.org/" + "a" * 70_000)), 400)
    assert stored_count(store) == 0


def test_a_filed_request_keeps_contact_data_for_staff_only(client, store, clock):
    response = file(client)
    assert response.status_code == 200
    [filed] = response.json()
    assert list(filed) == ["service_request_id", "service_notice", "account_id"]
    assert TICKET_NUMBER.match(filed["service_request_id"]) and filed["account_id"] is None
    assert "社区综治办" in filed["service_notice"]
    with session_scope(store.database_url) as session:
        ticket = session.execute(
            select(Ticket).options(selectinload(Ticket.attachments)).where(Ticket.number == filed["service_request_id"])
        ).scalar_one()
        assert ticket.kind is TicketKind.complaint and ticket.category == "noise"
        assert ticket.channel == "open311" and ticket.sender_id == f"open311:{DEVICE}"
        assert ticket.contact_phone == PHONE and ticket.contact_name == NAME
        assert (ticket.latitude, ticket.longitude) == (32.0415, 118.7849)
        assert ticket.address == "幸福小区3栋楼下"
        assert [(a.kind, a.url) for a in ticket.attachments] == [("image", "https://img.example.org/noise.jpg")]
        assert ticket.created_at == clock.now
        events = session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).scalars().all()
        assert {"email": EMAIL} in [event.data for event in events]


def test_the_sender_is_the_account_or_anonymous_without_a_device(client, store):
    by_account = filed_number(client, device_id="", account_id="acct-9")
    anonymous = filed_number(client, device_id=None, first_name=None, last_name=None, phone=None, email=None)
    with session_scope(store.database_url) as session:
        senders = dict(session.execute(select(Ticket.number, Ticket.sender_id)).all())
    assert senders[by_account] == "open311:acct-9" and senders[anonymous] == "open311:anonymous"


def test_a_filed_request_reads_back_with_the_standards_fields(client, clock):
    number = filed_number(client)
    response = client.get(f"{V2}/requests/{number}.json")
    assert response.status_code == 200
    [request] = response.json()
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == number
    assert (request["status"], request["status_notes"]) == ("open", "new")
    assert (request["service_code"], request["service_name"]) == ("noise", "噪音扰民")
    assert request["agency_responsible"] == Router().complaint_route("noise").department
    assert (request["lat"], request["long"]) == (32.0415, 118.7849)
    assert request["media_url"] == "https://img.example.org/noise.jpg"
    assert request["address"] == "幸福小区3栋楼下"
    assert request["description"].startswith("楼上半夜装修太吵了") and PHONE not in request["description"]
    assert datetime.fromisoformat(request["requested_datetime"]) == clock.now
    assert request["requested_datetime"].endswith("+08:00")
    assert datetime.fromisoformat(request["expected_datetime"]) == clock.now + timedelta(hours=48)
    assert number in numbers(client.get(f"{V2}/requests.json"))


def test_a_filed_request_reads_back_in_xml(client):
    response = file(client, fmt="xml")
    root = xml_root(response)
    assert root.tag == "service_requests" and [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == ["service_request_id", "service_notice", "account_id"]
    number = root[0].findtext("service_request_id")
    assert TICKET_NUMBER.match(number) and root[0].findtext("account_id") in ("", None)
    one = xml_root(client.get(f"{V2}/requests/{number}.xml"))
    assert one.tag == "service_requests" and [child.tag for child in one] == ["request"]
    assert [child.tag for child in one[0]] == REQUEST_FIELDS
    assert one[0].findtext("lat") == "32.0415" and one[0].findtext("status") == "open"
    listed = xml_root(client.get(f"{V2}/requests.xml"))
    assert [request.findtext("service_request_id") for request in listed] == [number]


def test_a_suggestion_is_filed_and_published_as_one(client, store):
    number = filed_number(client, service_code="suggestion", description="建议小区多装几个充电桩")
    with session_scope(store.database_url) as session:
        kind = session.execute(select(Ticket.kind).where(Ticket.number == number)).scalar_one()
    assert kind is TicketKind.suggestion
    [request] = client.get(f"{V2}/requests/{number}.json").json()
    assert request["service_code"] == "suggestion" and request["service_name"] == "居民建议"


def test_address_id_alone_is_a_location(client):
    number = filed_number(client, lat=None, long=None, address_string=None, address_id="NJ-0042")
    [request] = client.get(f"{V2}/requests/{number}.json").json()
    assert "NJ-0042" in request["address"] and request["lat"] is None


def test_the_staff_app_lets_open311_through_without_login_or_csrf_token(sqlite_url, tmp_path, clock):
    settings = staff_settings(sqlite_url, tmp_path, open311_api_key=API_KEY)
    app = create_app(settings)
    app.include_router(open311_router(settings, TicketService(sqlite_url, clock=clock)))
    with TestClient(app) as staff_app:
        assert staff_app.get("/api/tickets").status_code in (401, 404)  # the console stays closed
        number = filed_number(staff_app)
        assert number in numbers(staff_app.get(f"{V2}/requests.json"))


# --- reading --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_404(client, fmt):
    assert_error(client.get(f"{V2}/requests/GD20261130-9999.{fmt}"), 404, fmt, "GD20261130-9999")


def test_only_complaints_and_suggestions_are_published(client, store, clock):
    public = {resident_ticket(store), resident_ticket(store, TicketKind.suggestion, "建议多装充电桩")}
    private = {
        resident_ticket(store, TicketKind.emergency, "我爸摔倒了"),
        resident_ticket(store, TicketKind.handoff, "转人工"),
        resident_ticket(store, TicketKind.legal, "老板拖欠工资"),
        store.book(
            BookingCreate(
                service_id="elderly-meal",
                service_name="老年助餐",
                scheduled_at=clock.now + timedelta(days=1),
                sender_id=SENDER,
                contact_phone=PHONE,
            ),
            department="社区服务大厅",
        ).number,
    }
    assert set(numbers(client.get(f"{V2}/requests.json"))) == public
    everything = ",".join(public | private)
    assert set(numbers(client.get(f"{V2}/requests.json", params={"service_request_id": everything}))) == public
    for number in private:
        assert_error(client.get(f"{V2}/requests/{number}.json"), 404)


def test_status_filter_and_the_finer_state_in_the_notes(client, store):
    fresh = resident_ticket(store)
    resolved = resident_ticket(store)
    referred = resident_ticket(store)
    duplicate = resident_ticket(store)
    change_ticket(store, resolved, status=TicketStatus.resolved)
    change_ticket(store, referred, status=TicketStatus.referred, referred_to="区住建局")
    with session_scope(store.database_url) as session:
        first_id = session.execute(select(Ticket.id).where(Ticket.number == fresh)).scalar_one()
    change_ticket(store, duplicate, status=TicketStatus.duplicate, merged_into_id=first_id)

    assert numbers(client.get(f"{V2}/requests.json", params={"status": "open"})) == [fresh]
    closed = client.get(f"{V2}/requests.json", params={"status": "closed"}).json()
    assert {row["service_request_id"]: row["status"] for row in closed} == {
        resolved: "closed",
        referred: "closed",
        duplicate: "closed",
    }
    notes = {row["service_request_id"]: row["status_notes"] for row in closed}
    assert notes[resolved] == "resolved"
    assert notes[referred].startswith("referred") and "区住建局" in notes[referred]
    assert notes[duplicate].startswith("duplicate") and fresh in notes[duplicate]
    assert len(numbers(client.get(f"{V2}/requests.json", params={"status": "open,closed"}))) == 4
    assert all(row["service_notice"] is None for row in closed)


def test_service_code_filter(client, store):
    lift = resident_ticket(store, text="3号楼电梯又坏了")
    rubbish = resident_ticket(store, text="垃圾桶满了没人清运")
    suggestion = resident_ticket(store, TicketKind.suggestion, "建议多装充电桩")
    assert numbers(client.get(f"{V2}/requests.json", params={"service_code": "lift"})) == [lift]
    both = numbers(client.get(f"{V2}/requests.json", params={"service_code": "rubbish,suggestion"}))
    assert set(both) == {rubbish, suggestion}
    assert numbers(client.get(f"{V2}/requests.json", params={"service_code": "noise"})) == []


def test_date_filters_and_the_ninety_day_default(client, store, clock):
    now = clock.now
    clock.now = now - timedelta(days=100)
    old = resident_ticket(store)
    clock.now = now - timedelta(days=10)
    recent = resident_ticket(store)
    clock.now = now
    today = resident_ticket(store)

    assert numbers(client.get(f"{V2}/requests.json")) == [today, recent]  # newest first, 90 days
    since = {"start_date": (now - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert numbers(client.get(f"{V2}/requests.json", params=since)) == [today, recent, old]
    window = {"start_date": "2026-08-01T00:00:00+08:00", "end_date": "2026-11-25T00:00:00+08:00"}
    assert numbers(client.get(f"{V2}/requests.json", params=window)) == [recent, old]
    assert numbers(client.get(f"{V2}/requests.json", params={"end_date": "2026-11-25"})) == [recent]
    assert numbers(client.get(f"{V2}/requests.json", params={"start_date": "2026-11-30"})) == [today]
    day = {"start_date": "2026-11-20", "end_date": "2026-11-20"}  # a whole day, Shanghai time
    assert numbers(client.get(f"{V2}/requests.json", params=day)) == [recent]
    # ids override every other filter, the 90-day window included
    by_id = {"service_request_id": f"{old},{today.lower()}", "status": "closed", "service_code": "noise"}
    assert set(numbers(client.get(f"{V2}/requests.json", params=by_id))) == {old, today}
    assert numbers(client.get(f"{V2}/requests/{old}.json")) == [old]


@pytest.mark.parametrize(
    "params, mentions",
    [
        ({"start_date": "last week"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"start_date": "2026-11-01T00:00:00"}, "time zone"),
        ({"start_date": "2026-11-30T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "after"),
        ({"status": "pending"}, "status"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_query_parameters_are_400(client, params, mentions, fmt):
    assert_error(client.get(f"{V2}/requests.{fmt}", params=params), 400, fmt, mentions)


def test_at_most_the_standards_1000_results(client, store, monkeypatch):
    assert open311.MAX_RESULTS == 1000
    created = [resident_ticket(store) for _ in range(4)]
    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    assert numbers(client.get(f"{V2}/requests.json")) == created[::-1][:3]


# --- privacy --------------------------------------------------------------------------------------------------------


def test_no_personal_data_in_any_public_response(client, store):
    bot_filed = resident_ticket(store)
    open311_filed = filed_number(client)
    spaced = filed_number(client, description="联系 138 1234 5678 或０２５－８４５６１２３４", phone="025-84561234")
    texts = [file(client, fmt="xml").text, file(client).text]
    for fmt in ("json", "xml"):
        texts.append(client.get(f"{V2}/services.{fmt}").text)
        texts.append(client.get(f"{V2}/services/noise.{fmt}").text)
        texts.append(client.get(f"{V2}/requests.{fmt}").text)
        for number in (bot_filed, open311_filed, spaced):
            texts.append(client.get(f"{V2}/requests/{number}.{fmt}").text)
    published = "\n".join(texts)
    assert bot_filed in published and open311_filed in published
    secrets = (PHONE, PHONE[-8:], "1234 5678", "84561234", "８４５６１２３４", NAME, "三丰", SENDER, EMAIL, DEVICE)
    for secret in (*secrets, "open311:", TRANSCRIPT_ONLY, "contact"):
        assert secret not in published, secret
    [request] = client.get(f"{V2}/requests/{bot_filed}.json").json()
    assert request["description"] == "3号楼电梯又坏了，我叫***，电话 ***********，邮箱 ***@***"


def test_residents_text_is_escaped_in_xml_never_spliced(client, store):
    nasty = '<request><status>closed</status></request> & "引号" ]]> \x07响铃'
    number = filed_number(client, description=nasty)
    root = xml_root(client.get(f"{V2}/requests/{number}.xml"))
    assert [child.tag for child in root] == ["request"]
    assert root[0].findtext("status") == "open"
    assert root[0].findtext("description") == nasty.replace("\x07", "")
    [request] = client.get(f"{V2}/requests/{number}.json").json()
    assert request["description"] == nasty


def test_times_are_w3_with_an_offset(client, clock):
    clock.now = datetime(2026, 11, 30, 15, 59, 30, 123456, tzinfo=timezone.utc)
    number = filed_number(client)
    [request] = client.get(f"{V2}/requests/{number}.json").json()
    assert request["requested_datetime"] == "2026-11-30T23:59:30+08:00"


def test_a_residents_own_report_is_published_by_building_not_by_flat(client, store):
    number = resident_ticket(store)
    [request] = client.get(f"/open311/v2/requests/{number}.json").json()
    assert request["address"] == "3栋"
    assert "501" not in client.get("/open311/v2/requests.json").text


@pytest.mark.security
def test_names_flats_and_id_numbers_written_in_the_text_are_not_published(client, store):
    """The resident gave no name field, but wrote name, flat, phone and ID card into the message."""
    written = "5栋2单元501的水管爆了，我是王小明，电话13812345678，身份证32010219900101123X，楼下李阿姨家也漏"
    ticket = store.open_ticket(
        TicketCreate(
            kind=TicketKind.complaint,
            title=written[:20],
            description=written,
            address="5栋2单元501",
            channel="wechat",
            sender_id=SENDER,
        )
    )
    referred_to = "区水务局（联系人：赵建国 13912345678）"
    change_ticket(store, ticket.number, status=TicketStatus.referred, referred_to=referred_to)
    by_city = filed_number(client, address_string="幸福小区5栋2单元501", description="我叫刘德华，1502室门口")
    published = "\n".join(
        client.get(f"{V2}/requests/{number}.{fmt}").text
        for number in (ticket.number, by_city)
        for fmt in ("json", "xml")
    )
    for secret in ("王小明", "小明", "李", "2单元", "501", "13812345678", "13912345678", "赵建国", "刘德华", "1502"):
        assert secret not in published, secret
    assert "32010219900101123X" not in published and "123X" not in published
    [request] = client.get(f"{V2}/requests/{ticket.number}.json").json()
    assert request["description"].startswith("5栋") and "水管爆了" in request["description"]
    assert request["status_notes"].startswith("referred: 区水务局")
    [filed] = client.get(f"{V2}/requests/{by_city}.json").json()
    assert filed["address"].startswith("幸福小区5栋")
