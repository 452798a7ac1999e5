"""How answers look on the wire: the data.go.kr JSON and XML envelopes and gateway errors.

Reproduces the quirks a client has to survive: `item` is an object for one record and a list
for several, `items` is `""` when nothing matched, and gateway errors are XML even when JSON
was asked for.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
JSON_MEDIA_TYPE = "application/json;charset=UTF-8"
XML_MEDIA_TYPE = "application/xml;charset=UTF-8"
GATEWAY_MEDIA_TYPE = "text/xml;charset=UTF-8"

# returnAuthMsg of the data.go.kr gateway, by returnReasonCode
GATEWAY_REASONS: dict[str, str] = {
    "01": "APPLICATION_ERROR",
    "04": "HTTP_ERROR",
    "05": "SERVICETIME_OUT",
    "12": "NO_OPENAPI_SERVICE_ERROR",
    "20": "SERVICE_ACCESS_DENIED_ERROR",
    "22": "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR",
    "30": "SERVICE_KEY_IS_NOT_REGISTERED_ERROR",
    "31": "DEADLINE_HAS_EXPIRED_ERROR",
    "99": "UNKNOWN_ERROR",
}
SERVICE_MESSAGES: dict[str, str] = {
    "00": "NORMAL SERVICE.",
    "10": "INVALID REQUEST PARAMETER ERROR.",
}


def gateway_error(code: str) -> bytes:
    """The gateway's XML error document, byte for byte as data.go.kr sends it."""
    return (
        "<OpenAPI_ServiceResponse>\n"
        "  <cmmMsgHeader>\n"
        "    <errMsg>SERVICE ERROR</errMsg>\n"
        f"    <returnAuthMsg>{GATEWAY_REASONS[code]}</returnAuthMsg>\n"
        f"    <returnReasonCode>{code}</returnReasonCode>\n"
        "  </cmmMsgHeader>\n"
        "</OpenAPI_ServiceResponse>\n"
    ).encode()


class Page:
    """One page of matching records, with the counts the envelope reports."""

    def __init__(self, records: list[dict[str, Any]], page_no: int, num_rows: int) -> None:
        start = (page_no - 1) * num_rows
        self.items = records[start : start + num_rows]
        self.page_no = page_no
        self.num_rows = num_rows
        self.total_count = len(records)


def json_answer(page: Page) -> bytes:
    """The normal JSON envelope; `item` collapses to an object when exactly one record."""
    if not page.items:
        items: Any = ""
    elif len(page.items) == 1:
        items = {"item": page.items[0]}
    else:
        items = {"item": page.items}
    document = {
        "response": {
            "header": {"resultCode": "00", "resultMsg": SERVICE_MESSAGES["00"]},
            "body": {
                "items": items,
                "numOfRows": page.num_rows,
                "pageNo": page.page_no,
                "totalCount": page.total_count,
            },
        }
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _header(parent: ET.Element, code: str) -> None:
    header = ET.SubElement(parent, "header")
    ET.SubElement(header, "resultCode").text = code
    ET.SubElement(header, "resultMsg").text = SERVICE_MESSAGES[code]


def _serialise(root: ET.Element) -> bytes:
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode")).encode()


def xml_answer(page: Page) -> bytes:
    """The normal XML envelope (what KRA sends when `_type=json` is absent)."""
    root = ET.Element("response")
    _header(root, "00")
    body = ET.SubElement(root, "body")
    items = ET.SubElement(body, "items")
    for record in page.items:
        item = ET.SubElement(items, "item")
        for key, value in record.items():
            ET.SubElement(item, key).text = str(value)
    ET.SubElement(body, "numOfRows").text = str(page.num_rows)
    ET.SubElement(body, "pageNo").text = str(page.page_no)
    ET.SubElement(body, "totalCount").text = str(page.total_count)
    return _serialise(root)


def service_error(code: str, as_json: bool) -> bytes:
    """A service-level error: the normal envelope with a non-00 header and no body."""
    if as_json:
        header = {"resultCode": code, "resultMsg": SERVICE_MESSAGES[code]}
        return json.dumps({"response": {"header": header}}, ensure_ascii=False).encode()
    root = ET.Element("response")
    _header(root, code)
    return _serialise(root)
