"""Forms of the intake pages (事项一口归集): the grid worker's phone page, the resident portal, the
hotline form and the courtyard-meeting batch entry, with the Excel rows of a meeting.

The forms only parse what the user typed; `services.report_case` decides everything else (the
grid, the category, the clocks). Errors are collected per field, and the location errors of the
hidden point, the address and the building are reported together under "location".
"""

from __future__ import annotations

import datetime
import io

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.population.identity import parse_phone
from gongzhi.territory import geometry
from gongzhi.territory.models import Compound, Grid

from .choices import Category, Priority, Satisfaction
from .services import MAX_DESCRIPTION

LOCATION_FIELDS = ("lon", "lat", "accuracy", "address", "building")
MAX_ROWS = 50  # rows of one courtyard meeting the page's "+ 增加一条" offers
MAX_EXCEL_ROWS = 150  # rows of one meeting in all (a workbook's rows come back as a form: 5 fields a row)
MAX_EXCEL_BYTES = 5 * 1024 * 1024
BUILDING_SELECT_LIMIT = 400  # more buildings than this: the address field serves instead of a select

PRIORITY_LABELS = {str(label): value for value, label in Priority.choices} | {"复杂": Priority.COMPLEX, "": ""}
EXCEL_COLUMNS = {
    "问题描述": "description",
    "地址": "address",
    "反映人": "reporter_name",
    "联系电话": "reporter_phone",
    "紧急程度": "priority",
}
EXCEL_ALIASES = {
    "事项描述": "问题描述",
    "描述": "问题描述",
    "姓名": "反映人",
    "电话": "联系电话",
    "手机号码": "联系电话",
}
EXCEL_EXAMPLE = ["3幢门口的路灯坏了半个月，晚上老人出门不方便", "测试1花园1幢", "张大爷", "13800001111", "一般"]


def _description_field():
    return forms.CharField(
        label=gettext_lazy("问题描述"),
        max_length=MAX_DESCRIPTION,
        strip=True,
        error_messages={
            "required": gettext_lazy("请描述反映的问题。"),
            "max_length": gettext_lazy("问题描述不能超过 %(limit_value)d 字。"),
        },
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _priority_field():
    return forms.ChoiceField(
        label=gettext_lazy("紧急程度"),
        choices=Priority.choices,
        initial=Priority.NORMAL,
        error_messages={
            "required": gettext_lazy("请选择紧急程度。"),
            "invalid_choice": gettext_lazy("紧急程度应为一般、加急、紧急或复杂疑难。"),
        },
    )


def _phone(value: str) -> str:
    value = (value or "").strip()
    return parse_phone(value) if value else ""


class LocatedForm(forms.Form):
    """Where the matter is: a point (the phone's position or a tap on the map), an address, or
    a building of the user's grids. `services.locate` decides which grid it lies in."""

    lon = forms.CharField(required=False, widget=forms.HiddenInput)
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    accuracy = forms.CharField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=gettext_lazy("地址"),
        required=False,
        max_length=200,
        error_messages={"max_length": gettext_lazy("地址不能超过 %(limit_value)d 字。")},
    )
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, buildings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.location_errors: list[str] = []
        if buildings is not None:
            self.fields["building"] = forms.ModelChoiceField(
                label=gettext_lazy("楼栋"),
                queryset=buildings,
                required=False,
                error_messages={"invalid_choice": gettext_lazy("请从列表中选择您辖区内的楼栋。")},
            )

    def clean(self):
        data = super().clean()
        lon, lat = (data.get("lon") or "").strip(), (data.get("lat") or "").strip()
        data["point"] = None
        if lon or lat:
            try:
                point = geometry.parse_point(lon, lat)
            except ValidationError as exc:
                self.location_errors = exc.messages
            else:
                data["point"] = (point.x, point.y)
        try:
            data["accuracy"] = round(float(data.get("accuracy") or 0), 1) or None
        except ValueError:
            data["accuracy"] = None
        given = data["point"] or data.get("address") or data.get("building") or "building" in self.errors
        if not self.location_errors and not given:
            self.location_errors = [_("请确定位置：使用当前位置、在地图上选点、填写地址或选择楼栋。")]
        return data

    def location_kwargs(self) -> dict:
        data = self.cleaned_data
        lon, lat = data["point"] or (None, None)
        return {"lon": lon, "lat": lat, "address": data.get("address", ""), "building": data.get("building")}

    def field_errors(self) -> dict[str, list[str]]:
        """Errors by field as the page shows them: the location fields together under "location"."""
        errors: dict[str, list[str]] = {}
        for name, messages in self.errors.items():
            key = "location" if name in LOCATION_FIELDS else ("form" if name == "__all__" else name)
            errors.setdefault(key, []).extend(str(m) for m in messages)
        if self.location_errors:
            errors.setdefault("location", []).extend(str(m) for m in self.location_errors)
        return errors

    def is_valid(self) -> bool:
        return super().is_valid() and not self.location_errors


class ReportForm(LocatedForm):
    """The grid worker's report: the resident's words typed as text, where, how urgent, who said it."""

    description = _description_field()
    priority = _priority_field()
    category = forms.ChoiceField(
        label=gettext_lazy("事项类别"),
        choices=[("", gettext_lazy("按智能建议")), *Category.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请选择有效的事项类别。")},
    )
    reporter_name = forms.CharField(
        label=gettext_lazy("反映人"),
        required=False,
        max_length=50,
        error_messages={"max_length": gettext_lazy("姓名不能超过 %(limit_value)d 字。")},
    )
    reporter_phone = forms.CharField(label=gettext_lazy("联系电话"), required=False, max_length=30)

    def clean_reporter_phone(self):
        return _phone(self.cleaned_data.get("reporter_phone"))


class ResidentReportForm(LocatedForm):
    """我要反映: a resident's own report. The category is not theirs to choose (the classifier
    suggests, the dispatcher confirms); the priority is the dispatcher's too."""

    description = _description_field()
    reporter_phone = forms.CharField(label=gettext_lazy("联系电话"), required=False, max_length=30)

    def clean_reporter_phone(self):
        return _phone(self.cleaned_data.get("reporter_phone"))


class HotlineForm(LocatedForm):
    """A call taken at the command centre: the caller's name and number are required."""

    reporter_name = forms.CharField(
        label=gettext_lazy("来电人"),
        max_length=50,
        error_messages={
            "required": gettext_lazy("请填写来电人姓名。"),
            "max_length": gettext_lazy("姓名不能超过 %(limit_value)d 字。"),
        },
    )
    reporter_phone = forms.CharField(
        label=gettext_lazy("来电号码"), max_length=30, error_messages={"required": gettext_lazy("请填写来电号码。")}
    )
    description = _description_field()
    priority = _priority_field()
    category = forms.ChoiceField(
        label=gettext_lazy("事项类别"),
        choices=[("", gettext_lazy("按智能建议")), *Category.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请选择有效的事项类别。")},
    )

    def clean_reporter_phone(self):
        return _phone(self.cleaned_data.get("reporter_phone"))


class RatingForm(forms.Form):
    """综合评价 by the reporter."""

    solved = forms.TypedChoiceField(
        label=gettext_lazy("问题是否已解决"),
        choices=[("yes", gettext_lazy("是")), ("no", gettext_lazy("否"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择问题是否已解决。")},
    )
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("满意度"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("请选择满意、基本满意或不满意。"),
            "invalid_choice": gettext_lazy("请选择满意、基本满意或不满意。"),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("评价意见"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": gettext_lazy("评价意见不能超过 %(limit_value)d 字。")},
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReopenForm(forms.Form):
    """问题没有解决，重新办理."""

    note = forms.CharField(
        label=gettext_lazy("没有解决的情况"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("请说明问题没有解决的情况。")},
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


# -- the courtyard meeting (院坝会) -----------------------------------------------------------------


class MeetingForm(forms.Form):
    """When and where the meeting was held, who chaired it and how many came."""

    date = forms.DateField(
        label=gettext_lazy("会议日期"),
        error_messages={
            "required": gettext_lazy("请填写会议日期。"),
            "invalid": gettext_lazy("日期格式应为 2026-12-01。"),
        },
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    place = forms.CharField(
        label=gettext_lazy("会议地点"), max_length=100, error_messages={"required": gettext_lazy("请填写会议地点。")}
    )
    grid = forms.ModelChoiceField(
        label=gettext_lazy("网格"),
        queryset=Grid.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请选择您辖区内的网格。")},
    )
    compound = forms.ModelChoiceField(
        label=gettext_lazy("小区"),
        queryset=Compound.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请选择您辖区内的小区。")},
    )
    host = forms.CharField(
        label=gettext_lazy("主持人"), max_length=50, error_messages={"required": gettext_lazy("请填写主持人。")}
    )
    attendees = forms.IntegerField(
        label=gettext_lazy("参会人数"),
        min_value=1,
        max_value=10000,
        error_messages={
            "required": gettext_lazy("请填写参会人数。"),
            "invalid": gettext_lazy("参会人数应为整数。"),
            "min_value": gettext_lazy("参会人数至少为 1。"),
            "max_value": gettext_lazy("参会人数不能超过 %(limit_value)s。"),
        },
    )
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, grids=None, compounds=None, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if grids is not None:
            self.fields["grid"].queryset = grids
        if compounds is not None:
            self.fields["compound"].queryset = compounds

    def clean_date(self):
        date = self.cleaned_data["date"]
        if self.today is not None and date > self.today:
            raise ValidationError(_("会议日期不能晚于今天。"))
        return date

    def clean(self):
        data = super().clean()
        grid, compound = data.get("grid"), data.get("compound")
        if compound is not None:
            if grid is not None and compound.grid_id != grid.pk:
                self.add_error("compound", _("“%(compound)s”不在所选网格内。") % {"compound": compound.name})
            else:
                data["grid"] = compound.grid
        elif grid is None and "grid" not in self.errors:
            self.add_error("grid", _("请选择召开院坝会的网格或小区。"))
        return data

    def meeting_data(self) -> dict:
        data = self.cleaned_data
        compound = data.get("compound")
        return {
            "date": data["date"].isoformat(),
            "place": data["place"],
            "grid": data["grid"].pk,
            "grid_name": data["grid"].name,
            "compound": compound.pk if compound else None,
            "compound_name": compound.name if compound else "",
            "host": data["host"],
            "attendees": data["attendees"],
        }


class MatterRowForm(forms.Form):
    """One matter raised at the meeting."""

    description = _description_field()
    address = forms.CharField(
        label=gettext_lazy("地址"),
        required=False,
        max_length=200,
        error_messages={"max_length": gettext_lazy("地址不能超过 %(limit_value)d 字。")},
    )
    reporter_name = forms.CharField(
        label=gettext_lazy("反映人"),
        required=False,
        max_length=50,
        error_messages={"max_length": gettext_lazy("姓名不能超过 %(limit_value)d 字。")},
    )
    reporter_phone = forms.CharField(label=gettext_lazy("联系电话"), required=False, max_length=30)
    priority = _priority_field()

    def clean_reporter_phone(self):
        return _phone(self.cleaned_data.get("reporter_phone"))


class BaseMatterFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError(_("请至少填写一条事项。"))


MatterFormSet = forms.formset_factory(
    MatterRowForm,
    formset=BaseMatterFormSet,
    extra=3,
    max_num=MAX_EXCEL_ROWS,
    validate_max=True,
    absolute_max=MAX_EXCEL_ROWS,
)


def filled_rows(formset) -> list[tuple[int, MatterRowForm]]:
    """(index, form) of the rows the user filled (rows left blank are skipped)."""
    return [(i, f) for i, f in enumerate(formset.forms) if f.has_changed()]


def formset_data(rows: list[dict], prefix: str = "rows") -> dict:
    """The POST data of a formset holding `rows` (used for the rows read from a workbook)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": str(MAX_EXCEL_ROWS),
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:10]
    return str(value).strip()


def read_matter_rows(upload) -> list[tuple[int, dict]]:
    """(Excel row number, row as MatterRowForm data) of every non-empty row of the first sheet.

    The priority column takes the labels (一般、加急、紧急、复杂疑难); an unknown label is left as
    typed so that the row's check reports it. A file that cannot be read is a ValidationError.
    """
    from openpyxl import load_workbook

    if upload.size > MAX_EXCEL_BYTES:
        raise ValidationError(_("文件超过 5 MB，请分批上传。"))
    try:
        book = load_workbook(io.BytesIO(upload.read()), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, None)
    except Exception as exc:  # openpyxl raises several error types for files that are not workbooks
        raise ValidationError(_("无法读取该文件，请上传 Excel 工作簿（.xlsx），可先下载模板。")) from exc
    if not header:
        raise ValidationError(_("工作表是空的：第 1 行应为列名（问题描述、地址、反映人、联系电话、紧急程度）。"))
    names = [EXCEL_ALIASES.get(_cell(h), _cell(h)) for h in header]
    unknown = [n for n in names if n and n not in EXCEL_COLUMNS]
    if unknown:
        raise ValidationError(_("无法识别的列：%(cols)s。可用的列见模板。") % {"cols": "、".join(unknown)})
    if "问题描述" not in names:
        raise ValidationError(_("缺少必需的列：问题描述。"))
    keys = [EXCEL_COLUMNS.get(n) for n in names]
    rows: list[tuple[int, dict]] = []
    for number, raw in enumerate(lines, start=2):
        values = {k: _cell(v) for k, v in zip(keys, raw, strict=False) if k}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_EXCEL_ROWS:
            raise ValidationError(_("一次最多导入 %(n)s 条事项，请分批上传。") % {"n": MAX_EXCEL_ROWS})
        label = values.get("priority", "")
        values["priority"] = PRIORITY_LABELS.get(label, label) or Priority.NORMAL
        rows.append((number, {k: values.get(k, "") for k in EXCEL_COLUMNS.values()}))
    if not rows:
        raise ValidationError(_("文件中没有事项：从第 2 行起每行填写一条。"))
    return rows


def template_workbook() -> bytes:
    """The Excel template of a meeting's matters: the header and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("院坝会事项")
    sheet.append(list(EXCEL_COLUMNS))
    sheet.append(EXCEL_EXAMPLE)
    for column, width in zip("ABCDE", (48, 24, 12, 16, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def buildings_for(queryset):
    """Buildings for a select (with their compounds), or None when there are too many to list."""
    qs = queryset.select_related("compound").order_by("compound__name", "code")
    return qs if qs[: BUILDING_SELECT_LIMIT + 1].count() <= BUILDING_SELECT_LIMIT else None
