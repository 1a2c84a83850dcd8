"""Production settings fail fast without their environment; the demo settings need none."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_check(settings: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prod_refuses_to_start_without_environment():
    result = run_check("gongzhi.settings.prod", {})
    assert result.returncode != 0
    assert "GONGZHI_SECRET_KEY, DATABASE_URL, GONGZHI_FIELD_KEY, GONGZHI_ALLOWED_HOSTS" in result.stderr


def test_prod_refuses_a_weak_secret_and_a_bad_field_key(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "GONGZHI_ALLOWED_HOSTS": "gongzhi.example.gov.cn",
        "GONGZHI_FIELD_KEY": "c2hvcnQ=",
        "GONGZHI_SECRET_KEY": "dev-too-short",
    }
    weak = run_check("gongzhi.settings.prod", env)
    assert weak.returncode != 0 and "at least 40 characters" in weak.stderr
    bad_key = run_check("gongzhi.settings.prod", {**env, "GONGZHI_SECRET_KEY": "x" * 50})
    assert bad_key.returncode != 0 and "gongzhi.E001" in bad_key.stderr
    good = run_check(
        "gongzhi.settings.prod",
        {**env, "GONGZHI_SECRET_KEY": "x" * 50, "GONGZHI_FIELD_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
    )
    assert good.returncode == 0, good.stderr
