"""Production settings: every secret and address from the environment, checked at start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

REQUIRED = ["GONGZHI_SECRET_KEY", "DATABASE_URL", "GONGZHI_FIELD_KEY", "GONGZHI_ALLOWED_HOSTS"]
_missing = [name for name in REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured("Gongzhi production settings need these environment variables: " + ", ".join(_missing))
if os.environ["GONGZHI_SECRET_KEY"].startswith("dev-") or len(os.environ["GONGZHI_SECRET_KEY"]) < 40:
    raise ImproperlyConfigured("GONGZHI_SECRET_KEY must be a random string of at least 40 characters.")

DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ["GONGZHI_ALLOWED_HOSTS"].split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("GONGZHI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
SESSION_COOKIE_SECURE = os.environ.get("GONGZHI_INSECURE_COOKIES") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# PostgreSQL connection pool (Django's, psycopg-pool). Under ASGI each request runs in a thread of
# its own, so CONN_MAX_AGE cannot reuse connections; without a pool every request starts a new
# PostgreSQL backend (about 20 ms of server CPU). GONGZHI_DB_POOL_SIZE=0 turns the pool off (e.g.
# behind PgBouncer). Size it so that workers × size stays under PostgreSQL's max_connections.
_pool_size = int(os.environ.get("GONGZHI_DB_POOL_SIZE", "8"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _pool_size > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": _pool_size}
