"""XML and SOAP service-bus answers, and XML bombs, against real loopback services (issue 23)."""

from __future__ import annotations

import csv
import io
import resource
import sqlite3
import time
from pathlib import Path

import pytest
from faultserver import Request, respond
from service_bus import bus_registry

from shafaf.config import registry
from shafaf.config.registry import Source
from shafaf.config.service_bus import Soap
from shafaf.core.datadir import DataDir
from shafaf.core.errors import HarvestError, RegistryError
from shafaf.core.models import Outcome, Reason
from shafaf.harvest.net.fetch import FetchPolicy
from shafaf.harvest.runner import harvest
from shafaf.harvest.sources.base import HarvestContext
from shafaf.harvest.sources.jsonapi import JsonApiHarvester
from shafaf.publish.writer import publish

POLICY = FetchPolicy(
    deadline_s=3, connect_timeout_s=1, read_timeout_s=1, retries=0, backoff_s=0.01, allow_private_networks=True
)
XML = {"Content-Type": "application/xml; charset=utf-8"}
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICES = [("S1", "صدور گواهی", "Certificate"), ("S2", "استعلام", "Inquiry"), ("S3", "تمدید", "Renewal")]


def items(services) -> str:
    return "".join(
        f'<s:Service code="{c}"><s:service_id>{c}</s:service_id><s:name_fa>{fa}</s:name_fa>'
        f"<s:name_en>{en}</s:name_en></s:Service>"
        for c, fa, en in services
    )


def soap_answer(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP11}"><soap:Body>'
        f'<s:GetServicesResponse xmlns:s="urn:gsb:services">{inner}</s:GetServicesResponse>'
        f"</soap:Body></soap:Envelope>"
    ).encode()


FAULT = (
    f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{SOAP11}"><soap:Body><soap:Fault>'
    "<faultcode>soap:Server</faultcode><faultstring>سرویس در دسترس نیست: Service temporarily unavailable"
    "</faultstring></soap:Fault></soap:Body></soap:Envelope>"
).encode()
SOAP = Soap(
    action="urn:gsb:services/GetServices",
    body='<s:GetServices xmlns:s="urn:gsb:services"><s:agency>{agency}</s:agency><s:page>{page}</s:page></s:GetServices>',
    params={"agency": "alpha & co"},
)


def capture(src: Source, dest: Path):
    dest.mkdir(parents=True, exist_ok=True)
    return JsonApiHarvester().capture(src, dest, HarvestContext(policy=POLICY))


def failure(src: Source, dest: Path) -> HarvestError:
    with pytest.raises(HarvestError) as info:
        capture(src, dest)
    return info.value


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def xml_source(url: str, records: str = "items/item", **kwargs) -> Source:
    return Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=url,
        format="xml",
        records=records,
        **kwargs,
    )


# --- XML over HTTP -------------------------------------------------------------------------


def test_records_from_xml_by_a_path_with_attributes_nil_and_nested_elements(fault_server, tmp_path):
    body = (
        '<?xml version="1.0" encoding="utf-8"?><response><total>2</total><items>'
        '<item id="1"><name_fa>صدور گواهی</name_fa><channel><online>1</online></channel></item>'
        '<item id="2"><name_fa xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'
        "<!-- a comment --><name_en> Inquiry </name_en></item></items></response>"
    ).encode()
    fault_server.add("/api", respond(200, body, XML))
    got = capture(
        xml_source(fault_server.url("/api"), pagination={"style": "page", "total": "total", "size": 10}), tmp_path
    )
    assert rows(got.path) == [
        ["id", "name_fa", "channel", "name_en"],
        ["1", "صدور گواهی", '{"online":"1"}', ""],
        ["2", "", "", "Inquiry"],
    ]
    assert got.review is None and (tmp_path / "page-0001.xml").read_bytes() == body


def test_not_well_formed_xml_is_invalid_xml_naming_the_page(fault_server, tmp_path):
    fault_server.add("/api", respond(200, b"<response><items><item><a>1</a></item>", XML))
    error = failure(xml_source(fault_server.url("/api")), tmp_path)
    assert error.reason == Reason.INVALID_XML and "page 1" in error.message


BOMBS = {
    "xxe file": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><response><items><item><a>&x;</a></item></items></response>',
    "xxe network": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]><response><items><item><a>&x;</a></item></items></response>',
    "external dtd": b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd"><response><items><item><a>1</a></item></items></response>',
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]><response><items><item><a>&lol9;</a></item></items></response>",
    "utf-16 billion laughs": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><response><items><item><a>&b;</a></item></items></response>'.encode(
        "utf-16"
    ),
    "deep nesting": b"<response><items><item>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</item></items></response>",
    "moderately deep": b"<response><items><item>" + b"<a>" * 80 + b"</a>" * 80 + b"</item></items></response>",
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_xml_bombs_are_refused_in_bounded_time_and_memory(fault_server, tmp_path, name):
    canary = fault_server.add("/evil.dtd", respond(200, b'<!ENTITY x "pwned">', XML))
    fault_server.add("/api", respond(200, BOMBS[name], XML))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    error = failure(xml_source(fault_server.url("/api")), tmp_path)
    assert error.reason == Reason.UNSAFE_XML, error.message
    assert time.monotonic() - start < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: no expansion in memory
    assert fault_server.hits("/evil.dtd") == 0 and canary
    assert not (tmp_path / "records.csv").exists()


# --- SOAP ------------------------------------------------------------------------------------


def soap_service(pages: dict[str, bytes], calls: list[Request]):
    def behaviour(conn, request: Request) -> None:
        calls.append(request)
        if request.method != "POST" or request.headers.get("soapaction") != '"urn:gsb:services/GetServices"':
            respond(400, b"bad request", {"Content-Type": "text/plain"})(conn, request)
            return
        page = request.body.split(b"<s:page>")[1].split(b"</s:page>")[0].decode()
        respond(200, pages.get(page, soap_answer("")), {"Content-Type": "text/xml; charset=utf-8"})(conn, request)

    return behaviour


def test_a_soap_call_per_page_with_parameters_escaped_into_the_body(fault_server, tmp_path):
    calls: list[Request] = []
    url = fault_server.add(
        "/gsb/ServiceInfo.asmx",
        soap_service({"1": soap_answer(items(SERVICES[:2])), "2": soap_answer(items(SERVICES[2:]))}, calls),
    )
    src = Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=url,
        soap=SOAP,
        records="Body/GetServicesResponse/Service",
        pagination={"style": "page"},
    )
    got = capture(src, tmp_path)
    assert len(calls) == 3 and all(c.headers["content-type"].startswith("text/xml") for c in calls)
    assert b"<s:agency>alpha &amp; co</s:agency>" in calls[0].body and b"<s:page>1</s:page>" in calls[0].body
    assert rows(got.path) == [["code", "service_id", "name_fa", "name_en"]] + [[c, c, fa, en] for c, fa, en in SERVICES]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "page-0001.xml",
        "page-0002.xml",
        "page-0003.xml",
        "records.csv",
    ]


@pytest.mark.parametrize("status", [200, 500])
def test_a_soap_fault_is_source_error_with_its_code_and_text(fault_server, tmp_path, status):
    url = fault_server.add("/svc", respond(status, FAULT, {"Content-Type": "text/xml; charset=utf-8"}))
    src = Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=url,
        soap=SOAP,
        records="Body/GetServicesResponse/Service",
        pagination={"style": "page"},
    )
    error = failure(src, tmp_path)
    assert error.reason == Reason.SOURCE_ERROR and error.status == status
    assert "soap:Server: سرویس در دسترس نیست" in error.message and "urn:gsb:services/GetServices" in error.message


def test_a_soap_500_without_an_envelope_is_http_500(fault_server, tmp_path):
    url = fault_server.add("/svc", respond(500, b"Internal error", {"Content-Type": "text/plain"}))
    src = Source(
        id="gsb",
        dataset="services",
        kind="jsonapi",
        agency_id="alpha",
        url=url,
        soap=SOAP,
        records="Body/x",
        pagination={"style": "page"},
    )
    assert failure(src, tmp_path).reason == "http_500"


def test_the_registry_checks_the_soap_form(tmp_path):
    path = bus_registry(
        tmp_path,
        """\
        dataset: services
        kind: jsonapi
        url: https://gsb.example.ir/ServiceInfo.asmx
        soap:
          action: urn:GetServices
          body: "<GetServices><org>{organization}</org><p>{page}</p></GetServices>"
          version: "1.3"
        """,
    )
    with pytest.raises(RegistryError) as info:
        registry.load(path)
    assert "'soap.version' of a source of agency 'alpha' must be 1.1 or 1.2" in str(info.value)
    path.write_text(path.read_text(encoding="utf-8").replace('version: "1.3"', "params: {x: 1}"), encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        registry.load(path)
    assert "placeholders with no value: organization, page" in str(info.value)


def test_a_soap_fault_after_a_good_run_keeps_the_last_publication(fault_server, tmp_path):
    answers = {"1": soap_answer(items(SERVICES))}
    calls: list[Request] = []
    fault_server.add("/svc", soap_service(answers, calls))
    reg = registry.load(
        bus_registry(
            tmp_path,
            f"""\
        dataset: services
        kind: jsonapi
        url: {fault_server.url("/svc")}
        records: Body/GetServicesResponse/Service
        pagination: {{style: page}}
        soap:
          action: urn:gsb:services/GetServices
          body: '<s:GetServices xmlns:s="urn:gsb:services"><s:page>{{page}}</s:page></s:GetServices>'
        """,
        )
    )
    data = DataDir(tmp_path / "var")
    assert [r.outcome for r in harvest(reg.agencies, registry=reg, data=data)] == [Outcome.OK]
    publish(list(reg.agencies), registry=reg, data=data)
    served = data.public_db.resolve()
    before = served.read_bytes()
    answers["1"] = FAULT
    runs = harvest(reg.agencies, registry=reg, data=data, force=True)
    assert [(r.outcome, r.reason) for r in runs] == [(Outcome.FAILED, Reason.SOURCE_ERROR)]
    assert "answered a fault" in runs[0].message
    publish(list(reg.agencies), registry=reg, data=data)
    assert served.read_bytes() == before or not served.exists()
    with sqlite3.connect(data.public_db) as conn:
        assert conn.execute("select count(*) from services").fetchone() == (3,)
        assert conn.execute("select reason from harvest_runs order by started desc limit 1").fetchone() == (
            "source_error",
        )
