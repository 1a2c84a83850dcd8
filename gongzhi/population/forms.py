from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import ResidentTag, RevealField
from .models import Resident

REVEAL_REASONS = [
    ("", _("请选择")),
    ("入户走访联系", _("入户走访联系")),
    ("办理民生事项核验身份", _("办理民生事项核验身份")),
    ("应急处置联系家属", _("应急处置联系家属")),
    ("信息核对更正", _("信息核对更正")),
]


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=RevealField.choices, label=_("查看内容"))
    reason = forms.CharField(
        label=_("查看事由"),
        max_length=200,
        min_length=4,
        error_messages={
            "required": _("请填写查看事由。"),
            "min_length": _("请填写查看事由（至少 4 个字）。"),
        },
    )


class ResidentForm(forms.ModelForm):
    id_number = forms.CharField(label=_("公民身份号码"), required=False, max_length=30)
    phone = forms.CharField(label=_("手机号码"), required=False, max_length=20)
    tags = forms.MultipleChoiceField(
        label=_("标签"), choices=ResidentTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Resident
        fields = ["name", "gender", "birth_date", "relation", "residence_type", "registered_address"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].required = False
        self.fields["gender"].help_text = _("可留空，按身份证号自动识别。")
        self.fields["birth_date"].help_text = _("可留空，按身份证号自动识别。")
        if self.instance.pk:
            self.fields["tags"].initial = list(self.instance.tag_links.values_list("tag", flat=True))
            for name in ("id_number", "phone"):
                self.fields[name].help_text = _("已加密保存；留空表示不修改。")

    def _post_clean(self):  # the services validate the model; the form only parses input
        pass

    def service_data(self) -> dict:
        data = {f: self.cleaned_data.get(f) for f in self.Meta.fields}
        data["gender"] = data["gender"] or ""
        if self.instance.pk:  # blank means "as before" for what the ID number can derive
            for name in ("gender", "birth_date"):
                if not data[name]:
                    del data[name]
        data["tags"] = self.cleaned_data.get("tags") or []
        for name in ("id_number", "phone"):
            value = (self.cleaned_data.get(name) or "").strip()
            if value or not self.instance.pk:
                data[name] = value
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)
