"""Development settings: the embedded SQLite database, a generated local field key."""

from .base import *  # noqa: F403

DEBUG = True
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database and dev key live here
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
