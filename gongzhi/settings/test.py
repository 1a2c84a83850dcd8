"""Test settings. `GONGZHI_TEST_DB=postgres` runs the suite on PostgreSQL.

The PostgreSQL URL comes from `GONGZHI_TEST_DATABASE_URL`, default
postgres://postgres@127.0.0.1:5432/gongzhi (pytest-django prefixes the name with test_).
"""

import hashlib
import importlib.metadata
import os
import tempfile
from pathlib import Path

import dj_database_url

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
GONGZHI_FIELD_KEY = "dGVzdC1maWVsZC1rZXktMzItYnl0ZXMtbG9uZy0hISE="
GONGZHI_MAP_TILES_URL = ""

if os.environ.get("GONGZHI_TEST_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("GONGZHI_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gongzhi")
        )
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Tasks run in the test process when their transaction commits.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gongzhi-test-media-"))
# One trained model per corpus and scikit-learn version, shared by the test processes (xdist
# workers, later runs): training it once instead of once per process. Tests that write a model
# point GONGZHI_CLASSIFIER_PATH at their own tmp_path.
_corpus = BASE_DIR / "gongzhi" / "cases" / "classifier" / "corpus" / "train.tsv"
_digest = hashlib.sha256(_corpus.read_bytes() + importlib.metadata.version("scikit-learn").encode()).hexdigest()[:16]
GONGZHI_CLASSIFIER_PATH = Path(tempfile.gettempdir()) / "gongzhi-test-classifier" / f"{_digest}.joblib"
GONGZHI_SMS_BACKEND = "gongzhi.core.sms.MemoryBackend"
