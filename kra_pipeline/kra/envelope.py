"""Reading KRA response bodies: the JSON or XML envelope → items and totalCount, or a typed error.

Pure functions, no I/O. The quirks handled here are the ones seen in real answers:
`item` is an object when one record matches and a list otherwise; `items` is `""` or missing
when nothing matches; the gateway answers errors as XML even when JSON was asked, often with
HTTP 200; and a service error arrives as a normal envelope whose `resultCode` is not "00".
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from kra_pipeline.kra.errors import error_for_result_code, transient_body_error

# Codes meaning "answered normally"; 03 (no data) is an empty answer, not a failure.
_NORMAL_CODES = {"00", "0", "03"}


@dataclass(frozen=True)
class Envelope:
    """One page of a KRA answer, always in the JSON shape (XML answers are converted)."""

    document: dict[str, Any]
    items: list[dict[str, Any]]
    total_count: int
    page_no: int | None
    num_of_rows: int | None


def parse_body(body: bytes | str, api: str) -> Envelope:
    """Parse a response body of either format; raise a KraError subclass when it is an error."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise transient_body_error(api, "empty body")
    if stripped.startswith("<"):
        return parse_xml(stripped, api)
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise transient_body_error(api, f"invalid JSON at character {exc.pos}") from exc
    return parse_document(document, api)


def parse_document(document: Any, api: str) -> Envelope:
    """Check a decoded JSON envelope and pull out its items and counts."""
    response = document.get("response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise transient_body_error(api, "no `response` object")
    header = response.get("header")
    if not isinstance(header, dict) or "resultCode" not in header:
        raise transient_body_error(api, "no `response.header.resultCode`")
    code = str(header["resultCode"]).strip()
    if code not in _NORMAL_CODES:
        raise error_for_result_code(code, api, _reason(header.get("resultMsg")))
    body = response.get("body")
    if body is None or body == "":
        body = {}
    if not isinstance(body, dict):
        raise transient_body_error(api, "`response.body` is not an object")
    items = _items_of(body.get("items"), api)
    total = _as_int(body.get("totalCount"))
    return Envelope(
        document=document,
        items=items,
        total_count=total if total is not None else len(items),
        page_no=_as_int(body.get("pageNo")),
        num_of_rows=_as_int(body.get("numOfRows")),
    )


def parse_xml(text: str, api: str) -> Envelope:
    """Parse an XML answer: the gateway error envelope or the XML form of the normal one."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # KRA never sends a DTD; refusing one keeps entity expansion out of the parser.
        raise transient_body_error(api, "XML with a DTD")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs refused above
    except ET.ParseError as exc:
        raise transient_body_error(api, f"malformed XML ({exc})") from exc
    if root.tag == "OpenAPI_ServiceResponse":
        header = root.find("cmmMsgHeader")
        code = _text(header, "returnReasonCode") if header is not None else None
        if not code:
            raise transient_body_error(api, "gateway error without a returnReasonCode")
        raise error_for_result_code(code, api, _reason(_text(header, "returnAuthMsg")))
    if root.tag != "response":
        raise transient_body_error(api, f"unexpected XML root <{root.tag}>")
    return parse_document({"response": _element_to_json(root)}, api)


def _element_to_json(element: ET.Element) -> Any:
    """XML → the JSON shape KRA would send: leaves as text, repeated `item` as a list."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    converted: dict[str, Any] = {}
    for child in children:
        value = _element_to_json(child)
        if child.tag in converted:
            existing = converted[child.tag]
            converted[child.tag] = (
                [*existing, value]
                if isinstance(existing, list)
                else [
                    existing,
                    value,
                ]
            )
        else:
            converted[child.tag] = value
    return converted


def _items_of(items: Any, api: str) -> list[dict[str, Any]]:
    """`items.item` as a list, whether it was one object, a list, "" or missing."""
    if items is None or items == "":
        return []
    if not isinstance(items, dict):
        raise transient_body_error(api, "`items` is neither an object nor empty")
    item = items.get("item")
    if item is None or item == "":
        return []
    records = item if isinstance(item, list) else [item]
    if not all(isinstance(record, dict) for record in records):
        raise transient_body_error(api, "an `item` is not an object")
    return records


def _text(parent: ET.Element | None, tag: str) -> str | None:
    found = parent.find(tag) if parent is not None else None
    return found.text.strip() if found is not None and found.text else None


def _reason(message: Any) -> str | None:
    """A result message as a code name (`NORMAL SERVICE.` → `NORMAL_SERVICE`)."""
    if not message:
        return None
    return str(message).strip().rstrip(".").replace(" ", "_")


def _as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
