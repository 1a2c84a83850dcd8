"""Writing Open311 documents as XML (required by the spec) or JSON (the "Spark convention": the
XML mapped to JSON, so a list document is a top-level array).

A document is plain data: dicts (elements in order), lists (repeated elements, named by
ITEM_TAGS after their parent), strings, numbers, booleans ("true"/"false") and None (an empty
element in XML, null in JSON). Characters XML 1.0 cannot carry are dropped from XML output.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from .errors import SpecError

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        tag = ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, document) -> bytes:
    element = ET.Element(root)
    _fill(element, document)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def respond(fmt: str, root: str, document, status: int = 200) -> HttpResponse:
    """The document in the format asked for, with the spec's content type."""
    body = to_json(document) if fmt == "json" else to_xml(root, document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, error: SpecError) -> HttpResponse:
    document = [{"code": code, "description": description} for code, description in error.errors]
    return respond(fmt if fmt in FORMATS else "xml", "errors", document, status=error.status)
