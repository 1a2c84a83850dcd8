"""Excel export of any list as filtered (台账导出): one write-only workbook, streamed rows."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 500_000


def wants_export(request) -> bool:
    return request.GET.get("export") == "xlsx"


def xlsx_response(title: Any, headers: Sequence[Any], rows: Iterable[Sequence], stem: str = "export") -> HttpResponse:
    """A workbook with one sheet `title`: a header row, then `rows` (at most MAX_ROWS)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(title)[:31])
    sheet.append([str(h) for h in headers])
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            break
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{stem}-{stamp}.xlsx\"; filename*=UTF-8''{quote(str(title))}-{stamp}.xlsx"
    )
    return response
