"""Records out of an XML answer (a SOAP envelope, a plain XML API), read safely and in bounded memory.

XML from servers we do not control is parsed by lxml with entities left
unresolved, no DTD loaded, no network and libxml2's own limits on (the
``huge_tree`` switch stays off), and a document that declares a DTD at all
is refused (``unsafe_xml``): that closes external entities (XXE, a file or
an address read into the data), entity expansion ("billion laughs") and
DTD fetches at once. Nesting deeper than ``MAX_DEPTH`` is refused too. The
size is already bounded by the fetch. The file is read with ``iterparse``
and every element is cleared once read, so a page holds one page's records
in memory, not its tree.

A path is the local names (namespaces ignored) below the root element,
separated by ``/``: ``Body/GetServicesResponse/Service`` in a SOAP answer,
``items/item`` in ``<response><items><item>...``. A record's child elements
become its columns (an element with children of its own becomes JSON text),
its attributes too; ``xsi:nil="true"`` is empty.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from shafaf.config.service_bus import PLACEHOLDER, Soap
from shafaf.core.errors import HarvestError
from shafaf.core.models import Reason

MAX_DEPTH = 64
SOAP_NS = {"1.1": "http://schemas.xmlsoap.org/soap/envelope/", "1.2": "http://www.w3.org/2003/05/soap-envelope"}
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
FAULT_PARTS = ("Body/Fault/faultcode", "Body/Fault/faultstring", "Body/Fault/Code/Value", "Body/Fault/Reason/Text")


@dataclasses.dataclass
class XmlPage:
    records: list[dict[str, Any]]
    values: dict[str, str]  # the text at each wanted path (first occurrence)
    fault: bool  # the document is a SOAP fault (Body/Fault)


def read(
    path: Path,
    records_path: str | None,
    wanted: tuple[str, ...] = (),
    *,
    what: str,
    url: str | None = None,
    status: int | None = None,
) -> XmlPage:
    """The records at ``records_path`` and the text at each ``wanted`` path of the XML file ``path``."""
    target = tuple(p for p in (records_path or "").split("/") if p)
    want = {tuple(p for p in w.split("/") if p): w for w in (*wanted, *FAULT_PARTS)}
    page = XmlPage([], {}, False)
    stack: list[str] = []
    try:
        context = etree.iterparse(
            str(path),
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        for event, element in context:
            if event == "start":
                if not stack and element.getroottree().docinfo.internalDTD is not None:
                    raise HarvestError(
                        Reason.UNSAFE_XML,
                        f"{what} declares a DTD (<!DOCTYPE ...>); documents with DTDs "
                        f"or entity declarations are refused (XXE, entity expansion)",
                        url=url,
                        status=status,
                    )
                stack.append(etree.QName(element).localname if isinstance(element.tag, str) else "")
                if len(stack) > MAX_DEPTH:
                    raise HarvestError(
                        Reason.UNSAFE_XML,
                        f"{what} is nested more than {MAX_DEPTH} elements deep; refused",
                        url=url,
                        status=status,
                    )
                continue
            below = tuple(stack[1:])
            if below == ("Body", "Fault"):
                page.fault = True
            if below in want and want[below] not in page.values:
                page.values[want[below]] = (element.text or "").strip()
            inside_record = target and len(below) > len(target) and below[: len(target)] == target
            if target and below == target:
                page.records.append(_record(element))
            elif not target and len(below) == 1:
                page.records.append(_record(element))
            if not inside_record and not (not target and len(below) > 1):
                element.clear(keep_tail=False)
            stack.pop()
    except etree.XMLSyntaxError as e:
        text = str(e.msg or e)
        if "depth" in text.lower() or "entit" in text.lower():
            raise HarvestError(Reason.UNSAFE_XML, f"{what} was refused: {text}", url=url, status=status) from None
        raise HarvestError(
            Reason.INVALID_XML, f"{what} is not well-formed XML: {text}", url=url, status=status
        ) from None
    return page  # no records at all is the caller's to judge (no_resources), like an empty JSON list


def _record(element: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in element.attrib.items():
        if name != XSI_NIL:
            out[etree.QName(name).localname] = value
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if child.get(XSI_NIL) in ("true", "1"):
            value: Any = None
        elif len(child):
            value = json.dumps(_plain(child), ensure_ascii=False, sort_keys=False, separators=(",", ":"))
        else:
            value = (child.text or "").strip()
        if name in out:  # a repeated element: its values as a JSON list
            first = out[name]
            out[name] = json.dumps(
                (json.loads(first) if isinstance(first, str) and first.startswith("[") else [first]) + [value],
                ensure_ascii=False,
                separators=(",", ":"),
            )
        else:
            out[name] = value
    return out


def _plain(element: Any) -> Any:
    if not len(element):
        return (element.text or "").strip()
    return {etree.QName(c).localname: _plain(c) for c in element if isinstance(c.tag, str)}


# --- SOAP ----------------------------------------------------------------------


def envelope(soap: Soap, values: dict[str, str]) -> bytes:
    """The SOAP envelope of one call: the body template with each ``{name}`` replaced by its XML-escaped value."""

    def value_of(match: re.Match[str]) -> str:
        if match.group(1) not in values:  # the registry refuses such a body; a hand-made Source may not
            raise HarvestError(Reason.INTERNAL, f"the SOAP body of {soap.action} has no value for {{{match.group(1)}}}")
        return escape(values[match.group(1)], {'"': "&quot;", "'": "&apos;"})

    body = PLACEHOLDER.sub(value_of, soap.body)
    ns = SOAP_NS[soap.version]
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="{ns}"><soap:Body>{body}'
        f"</soap:Body></soap:Envelope>"
    ).encode()


def soap_headers(soap: Soap) -> dict[str, str]:
    if soap.version == "1.2":
        return {
            "Content-Type": f'application/soap+xml; charset=utf-8; action="{soap.action}"',
            "Accept": "application/soap+xml, text/xml",
        }
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{soap.action}"', "Accept": "text/xml"}


def fault_message(page: XmlPage) -> str:
    code = page.values.get("Body/Fault/faultcode") or page.values.get("Body/Fault/Code/Value") or "no code"
    text = page.values.get("Body/Fault/faultstring") or page.values.get("Body/Fault/Reason/Text") or "no reason given"
    return f"{code}: {text[:300]}"
