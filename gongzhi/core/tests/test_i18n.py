"""The English catalogue is complete, compiled, and covers every marked string."""

import re
from pathlib import Path

import polib
from django.utils import translation

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "locale/en/LC_MESSAGES/django.po"
MO = ROOT / "locale/en/LC_MESSAGES/django.mo"
PY_STRING = re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*"([^"\\]+)"\s*[,)]""")
TEMPLATE_STRING = re.compile(r"""\{%\s*translate\s+["']([^"']+)["']""")


def catalogue():
    return polib.pofile(str(PO))


def test_every_entry_translated_and_not_fuzzy():
    po = catalogue()
    assert po.percent_translated() == 100
    assert po.fuzzy_entries() == []
    assert [e.msgid for e in po.obsolete_entries()] == []


def test_compiled_catalogue_matches_source():
    po, mo = catalogue(), polib.mofile(str(MO))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
    assert compiled == source


def test_every_marked_string_is_in_the_catalogue():
    known = {e.msgid for e in catalogue()}
    found = set()
    for path in (ROOT / "gongzhi").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        found |= set(PY_STRING.findall(path.read_text()))
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "gongzhi").rglob("*.html")):
        # makemessages (and {% translate %} at run time) double a template string's % signs
        found |= {s.replace("%", "%%") for s in TEMPLATE_STRING.findall(path.read_text())}
    missing = sorted(s for s in found if s not in known)
    assert missing == [], "run `make messages` and translate: " + ", ".join(missing)


def test_english_is_served():
    with translation.override("en"):
        assert translation.gettext("网格员") == "Grid worker"
        assert translation.pgettext("plural", "社区") == "Communities"
    with translation.override("zh-hans"):
        assert translation.gettext("网格员") == "网格员"
