"""Reading the database file directly shows no plaintext ID number or phone number."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_sqlite_file_holds_no_plaintext(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="gongzhi.settings.dev", GONGZHI_VAR_DIR=str(tmp_path))
    for args in (["migrate", "-v0"], ["load_demo", "--scale", "0.01"]):
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    # the plain values, read back through the application with the key
    script = (
        "import django; django.setup();"
        "from gongzhi.population.models import Resident;"
        "print('\\n'.join(v for r in Resident.objects.all() for v in (r.id_number, r.phone) if v))"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    plain = out.stdout.split()
    assert len(plain) > 3000
    db = tmp_path / "gongzhi.sqlite3"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("gongzhi.sqlite3*"))
    leaked = [v for v in plain if v.encode() in raw]
    assert leaked == []
    assert raw.count(b"v1:") >= len(plain)  # every value is there, sealed
