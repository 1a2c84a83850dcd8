"""Request parameters as the spec reads them: query string and form body together (the PyPI
`open311` client sends api_key and jurisdiction_id in the query string of a POST), an empty
parameter treated as not passed, and `attribute[code]` / `attribute[code][]` collected per code.
"""

from __future__ import annotations

import re

from django.core.exceptions import SuspiciousOperation
from django.http import QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from .errors import SpecError

MAX_VALUE = 8000
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


class Params:
    def __init__(self, *sources: QueryDict) -> None:
        self._data: dict[str, list[str]] = {}
        for source in sources:  # later sources win (the form body over the query string)
            for key in source:
                values = source.getlist(key)
                for text in (key, *values):
                    if "\x00" in text:
                        raise SpecError(400, _("参数 %(name)s 含有非法字符。") % {"name": key[:40].replace("\x00", "")})
                    if len(text) > MAX_VALUE:
                        raise SpecError(400, _("参数 %(name)s 过长。") % {"name": key[:40]})
                self._data[key] = values

    @classmethod
    def of(cls, request) -> Params:
        """GET and POST of a request; an unreadable body is a 400 in the spec's format."""
        try:
            return cls(request.GET, request.POST) if request.method == "POST" else cls(request.GET)
        except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
            raise SpecError(400, _("请求内容无法解析：请使用 application/x-www-form-urlencoded 表单提交。")) from None

    def get(self, name: str) -> str | None:
        """The value of `name`, stripped; None when absent or empty."""
        for value in reversed(self._data.get(name, [])):
            if value.strip():
                return value.strip()
        return None

    def values(self, name: str) -> list[str]:
        """A comma list, which may also be given as the parameter repeated ("status=open,closed")."""
        return [part.strip() for value in self._data.get(name, []) for part in value.split(",") if part.strip()]

    def attributes(self) -> dict[str, list[str]]:
        """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2`, non-empty values only."""
        found: dict[str, list[str]] = {}
        for key, values in self._data.items():
            match = ATTRIBUTE.match(key)
            if match:
                found.setdefault(match[1], []).extend(v.strip() for v in values if v.strip())
        return found
