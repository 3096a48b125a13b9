"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): city systems and apps read and file requests.

Public, no staff login: reading needs nothing, filing needs the ``api_key`` (OPEN311_API_KEY).
The extension picks the format (``.json`` or ``.xml``), errors included. XML is built with
ElementTree, so residents' text is always escaped. The form body is parsed here (urlencoded,
as the standard sends it) rather than by FastAPI's ``Form``, which would need python-multipart.
"""

from __future__ import annotations

import logging
import re
import secrets
import xml.etree.ElementTree as ET  # nosec B405
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from bot.settings import Settings
from policy_kb.catalogue import CATALOGUE_DIR, load_catalogue
from policy_kb.reloading import Fingerprint, catalogue_fingerprint
from tickets.errors import TicketNotFound, TicketStoreUnavailable
from tickets.open311 import (
    Open311Service,
    RequestDraft,
    RequestFilter,
    ServiceDefinition,
    ServiceInfo,
    UnknownServiceCode,
)
from tickets.routing import ROUTES_FILE, SHANGHAI
from tickets.service import TicketService

logger = logging.getLogger(__name__)

FORMATS = ("json", "xml")
XML_MEDIA_TYPE = "text/xml"  # Starlette adds "; charset=utf-8"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024  # a description is at most 4,000 characters
MAX_FORM_FIELDS = 100
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
BOOKING_TYPE = "blackbox"  # listed for discovery; booked through the assistant, not filed here
# Characters XML 1.0 cannot carry at all; a resident's text may hold them (pasted control codes).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Open311Error(Exception):
    """Answered as the standard's error list with this HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions or ("error",)


class BookableServices:
    """The catalogue's bookable services, reread when a file changes; a broken edit keeps the last good list."""

    def __init__(self, folder: Path = CATALOGUE_DIR) -> None:
        self._folder = folder
        self._fingerprint: Fingerprint | None = None
        self._services: List[ServiceInfo] = []

    def __call__(self) -> List[ServiceInfo]:
        fingerprint = catalogue_fingerprint(self._folder)
        if fingerprint != self._fingerprint:
            catalogue = load_catalogue(self._folder)
            if catalogue.problems and self._fingerprint is not None:
                logger.warning("catalogue has problems; Open311 keeps listing the previous bookable services")
            else:
                self._services = [
                    ServiceInfo(
                        service_code=entry.id,
                        service_name=entry.name,
                        description=f"{entry.summary} 请通过社区通小助手或电话 {entry.phone} 预约。",
                        type=BOOKING_TYPE,
                        keywords=",".join(entry.aliases),
                        group=entry.category,
                    )
                    for entry in catalogue.bookable()
                ]
            self._fingerprint = fingerprint
        return self._services


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _xml_fill(element: ET.Element, fields: Mapping[str, Any]) -> ET.Element:
    """One child per field; a list becomes a wrapper of ``item`` children; None an empty element."""
    for name, value in fields.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            for item in value:
                _xml_fill(ET.SubElement(child, name.rstrip("s")), item)
        else:
            child.text = _xml_text(value)
    return element


def _xml_response(root: ET.Element, status: int) -> Response:
    body = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return Response(body, status_code=status, media_type=XML_MEDIA_TYPE)


def render_list(fmt: str, rows: Sequence[BaseModel], root: str, item: str, status: int = 200) -> Response:
    """A list as the standard shows it: a JSON array, or ``<root><item>…</item></root>``."""
    fields = [row.dict() for row in rows]
    if fmt == "xml":
        element = ET.Element(root)
        for row in fields:
            _xml_fill(ET.SubElement(element, item), row)
        return _xml_response(element, status)
    return JSONResponse(fields, status_code=status)


def render_error(fmt: str, error: Open311Error) -> Response:
    """``[{"code": 400, "description": "…"}]`` or ``<errors><error><code>…``."""
    rows = [{"code": error.status, "description": description} for description in error.descriptions]
    if fmt == "xml":
        element = ET.Element("errors")
        for row in rows:
            _xml_fill(ET.SubElement(element, "error"), row)
        return _xml_response(element, error.status)
    return JSONResponse(rows, status_code=error.status)


def _changeset(catalogue: Path) -> str:
    """When the list of services last changed: the newest catalogue or routing file, in W3C form."""
    files = [*catalogue.glob("*.yml"), ROUTES_FILE]
    newest = max((path.stat().st_mtime for path in files if path.exists()), default=0.0)
    return datetime.fromtimestamp(newest, SHANGHAI).isoformat(timespec="seconds")


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt!r} is not supported; use json or xml")
    return fmt


def _commas(value: str | None) -> List[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_w3_datetime(name: str, value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """``2026-11-30T10:00:00+08:00`` or ``…Z``; a bare date is that day in Shanghai (the whole day for an end)."""
    if not value:
        return None
    text = value.strip()
    try:
        if _DATE_ONLY.match(text):
            day = datetime.combine(datetime.fromisoformat(text).date(), time.min, tzinfo=SHANGHAI)
            return day + timedelta(days=1, microseconds=-1) if end_of_day else day
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a w3 date and time, e.g. 2026-11-30T10:00:00+08:00") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} must carry a time zone (Z or an offset such as +08:00)")
    return moment


def _validation_descriptions(exc: ValidationError) -> Tuple[str, ...]:
    descriptions = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"] if part != "__root__")
        if error["type"] in ("value_error.missing", "type_error.none.not_allowed"):
            descriptions.append(f"{where} was not provided")
        else:
            descriptions.append(f"{where}: {error['msg']}" if where else error["msg"])
    return tuple(descriptions)


@dataclass(frozen=True)
class FormBody:
    """The POSTed fields, or why they could not be read (answered as a 400 in the route's format)."""

    fields: Dict[str, str] = field(default_factory=dict)
    problem: str | None = None


async def form_body(request: Request) -> FormBody:
    """The urlencoded body (first value of each field) over the query string's; bounded in size."""
    content_type = request.headers.get("content-type", FORM_MEDIA_TYPE).split(";")[0].strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            return FormBody(problem="the request body is too large")
    if body and content_type != FORM_MEDIA_TYPE:
        return FormBody(problem=f"send the request as {FORM_MEDIA_TYPE}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return FormBody(problem=f"the form could not be read (UTF-8, at most {MAX_FORM_FIELDS} fields)")
    body_fields: Dict[str, str] = {}
    for name, value in pairs:
        body_fields.setdefault(name, value)
    return FormBody(fields={**request.query_params, **body_fields})


def open311_router(settings: Settings, tickets: TicketService, catalogue: Path = CATALOGUE_DIR) -> APIRouter:
    """GeoReport v2 under ``/open311/v2``; ``jurisdiction_id`` is accepted and ignored (one community)."""
    router = APIRouter(prefix="/open311/v2")
    service = Open311Service(tickets)
    bookable = BookableServices(catalogue)

    def all_services() -> List[ServiceInfo]:
        fileable = service.services()
        codes = {info.service_code for info in fileable}
        return [*fileable, *(info for info in bookable() if info.service_code not in codes)]

    def check_api_key(given: str | None) -> None:
        expected = settings.open311_api_key
        if not expected:
            raise Open311Error(403, "filing requests is not enabled on this server")
        if not given:
            raise Open311Error(403, "api_key was not provided")
        if not secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            logger.warning("Open311 request refused: wrong api_key")
            raise Open311Error(403, "api_key is not valid")

    @router.get("/discovery.{fmt}")
    def discovery(fmt: str, request: Request) -> Response:
        """Service discovery: where this endpoint is, what it speaks, whom to ask for an api_key."""
        try:
            _format(fmt)
        except Open311Error as error:
            return render_error(fmt, error)
        changed = _changeset(catalogue)
        endpoint = {
            "specification": SPECIFICATION,
            "url": str(request.url_for("services", fmt=fmt)).rsplit("/services.", 1)[0],
            "changeset": changed,
            "type": "production",
            "formats": [XML_MEDIA_TYPE, "application/json"],
        }
        document = {
            "changeset": changed,
            "contact": f"{settings.community_name} {settings.duty_phone}",
            "key_service": f"api_key：请向{settings.community_name}管理员申请",
            "endpoints": [endpoint],
        }
        if fmt == "json":
            return JSONResponse(document)
        root = ET.Element("discovery")
        _xml_fill(root, {name: value for name, value in document.items() if name != "endpoints"})
        element = ET.SubElement(ET.SubElement(root, "endpoints"), "endpoint")
        _xml_fill(element, {name: value for name, value in endpoint.items() if name != "formats"})
        formats = ET.SubElement(element, "formats")
        for media_type in endpoint["formats"]:
            ET.SubElement(formats, "format").text = media_type
        return _xml_response(root, 200)

    @router.get("/tokens/{token}.{fmt}")
    def token(token: str, fmt: str) -> Response:
        """The standard's token lookup: this server never hands out tokens, so none is ever found."""
        message = "tokens are not used here: POST requests returns the service_request_id at once"
        return render_error(fmt, Open311Error(404, message))

    @router.get("/services.{fmt}")
    def services(fmt: str) -> Response:
        """Complaint categories and suggestions (filed here), then the bookable services (booked elsewhere)."""
        try:
            return render_list(_format(fmt), all_services(), "services", "service")
        except Open311Error as error:
            return render_error(fmt, error)

    @router.get("/services/{code}.{fmt}")
    def service_definition(code: str, fmt: str) -> Response:
        try:
            _format(fmt)
            if not any(info.service_code == code for info in all_services()):
                raise Open311Error(404, f"service_code {code} was not found")
            definition = ServiceDefinition(service_code=code)
        except Open311Error as error:
            return render_error(fmt, error)
        if fmt == "xml":
            return _xml_response(_xml_fill(ET.Element("service_definition"), definition.dict()), 200)
        return JSONResponse(definition.dict())

    @router.post("/requests.{fmt}")
    def file_request(fmt: str, form: FormBody = Depends(form_body)) -> Response:
        """Files a complaint or suggestion; the resident's contact data is kept for staff, never published."""
        try:
            _format(fmt)
            if form.problem:
                raise Open311Error(400, form.problem)
            fields = form.fields
            check_api_key(fields.get("api_key"))
            try:
                draft = RequestDraft(**{name: fields[name] for name in RequestDraft.__fields__ if name in fields})
            except ValidationError as exc:
                raise Open311Error(400, *_validation_descriptions(exc)) from exc
            if not service.is_fileable(draft.service_code):
                if any(info.service_code == draft.service_code for info in bookable()):
                    raise Open311Error(
                        400, f"{draft.service_code} is booked through the 社区通 assistant or by phone, not filed here"
                    )
                raise Open311Error(404, f"service_code {draft.service_code} was not found")
            filed = service.file(draft)
        except UnknownServiceCode:
            return render_error(fmt, Open311Error(404, "service_code was not found"))
        except TicketStoreUnavailable:
            return render_error(fmt, Open311Error(503, "the ticket store is unavailable; nothing was stored"))
        except Open311Error as error:
            return render_error(fmt, error)
        return render_list(fmt, [filed], "service_requests", "request")

    @router.get("/requests.{fmt}")
    def requests(
        fmt: str,
        service_request_id: str | None = None,
        service_code: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
        status: str | None = None,
    ) -> Response:
        """Newest first, at most 1000; the last 90 days unless dates (or ids) are given."""
        try:
            _format(fmt)
            statuses = [part.lower() for part in _commas(status)]
            unknown = [part for part in statuses if part not in ("open", "closed")]
            if unknown:
                raise Open311Error(400, "status must be open or closed (comma-separated)")
            try:
                query = RequestFilter(
                    ids=_commas(service_request_id),
                    service_codes=_commas(service_code),
                    start=parse_w3_datetime("start_date", start_date),
                    end=parse_w3_datetime("end_date", end_date, end_of_day=True),
                    statuses=statuses,
                )
            except ValidationError as exc:
                raise Open311Error(400, *_validation_descriptions(exc)) from exc
            found = service.find(query)
        except TicketStoreUnavailable:
            return render_error(fmt, Open311Error(503, "the ticket store is unavailable"))
        except Open311Error as error:
            return render_error(fmt, error)
        return render_list(fmt, found, "service_requests", "request")

    @router.get("/requests/{request_id}.{fmt}")
    def one_request(request_id: str, fmt: str) -> Response:
        try:
            _format(fmt)
            found = service.get(request_id)
        except TicketNotFound:
            return render_error(fmt, Open311Error(404, f"service_request_id {request_id} was not found"))
        except TicketStoreUnavailable:
            return render_error(fmt, Open311Error(503, "the ticket store is unavailable"))
        except Open311Error as error:
            return render_error(fmt, error)
        return render_list(fmt, [found], "service_requests", "request")

    return router
