"""WSGI entry point: pages and the REST API (no WebSockets) for a WSGI server such as granian
(`granian --interface wsgi gongzhi.wsgi:application`); gongzhi/asgi.py serves everything, WebSockets included."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings.dev")
application = get_wsgi_application()

from gongzhi.core.runtime import settle_startup  # noqa: E402

settle_startup()
