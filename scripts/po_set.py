"""Set English translations in the catalogue: scripts/po_set.py 'msgid=>msgstr' ... (developer aid)."""

import sys

import polib

po = polib.pofile("locale/en/LC_MESSAGES/django.po")
pairs = dict(arg.split("=>", 1) for arg in sys.argv[1:])
for entry in po:
    if entry.msgid in pairs:
        entry.msgstr = pairs[entry.msgid]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    entry.previous_msgctxt = None
po.save()
missing = [e.msgid for e in po if not e.translated() or "fuzzy" in e.flags]
print("untranslated:", missing)
sys.exit(1 if missing else 0)
