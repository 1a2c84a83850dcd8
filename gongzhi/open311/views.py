"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests
(list, one, POST) and tokens, in XML or JSON by suffix. Every answer that is not a document is
an error in the spec's format with the matching status; no input makes a 500.

Keys: POST requires `api_key` (form body or query string). GET requests and requests/{id}
require one too unless GONGZHI_OPEN311_PUBLIC_READ is set (ADR 0004); a client passes it as
`?api_key=…` or, to keep it out of access logs, in the `X-Api-Key` header.
"""

from __future__ import annotations

import functools

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import catalogue, conf, queries, render, services
from .errors import SpecError
from .models import ApiKey
from .params import Params

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "X-Api-Key",
}


def _now():
    return timezone.now()


def _key(request, params: Params, *, required: bool) -> ApiKey | None:
    raw = params.get("api_key") or request.headers.get("X-Api-Key", "").strip() or None
    if raw is None:
        if required:
            raise SpecError(403, _("缺少 api_key，无法继续。请向平台管理员申请密钥。"))
        return None
    key = services.authenticate(raw, now=_now())
    if key is None:
        raise SpecError(403, _("api_key 无效或已吊销，无法继续。"))
    return key


def _reader(request, params: Params) -> ApiKey | None:
    return _key(request, params, required=not conf.public_read())


def endpoint(*methods: str):
    """Format by suffix, the jurisdiction check, the method check, spec errors, CORS on reads."""
    allowed = set(methods) | ({"HEAD", "OPTIONS"} if "GET" in methods else set())

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, fmt: str = "xml", **kwargs):
            fmt = fmt.lower()
            try:
                if fmt not in render.FORMATS:
                    raise SpecError(400, _("不支持的格式“%(fmt)s”：请使用 .xml 或 .json。") % {"fmt": fmt[:10]})
                if request.method not in allowed:
                    refused = SpecError(405, _("不支持 %(method)s 方法。") % {"method": request.method[:10]})
                    response = render.error_response(fmt, refused)
                    response["Allow"] = ", ".join(sorted(allowed))
                    return response
                if request.method == "OPTIONS":
                    response = HttpResponse(status=204)
                else:
                    params = Params.of(request)
                    jurisdiction = params.get("jurisdiction_id")
                    if jurisdiction is not None and jurisdiction != conf.jurisdiction():
                        raise SpecError(404, _("未找到 jurisdiction_id“%(id)s”。") % {"id": jurisdiction[:60]})
                    response = view(request, fmt, params, **kwargs)
            except SpecError as exc:
                response = render.error_response(fmt, exc)
            if request.method in ("GET", "HEAD", "OPTIONS"):
                for name, value in CORS_HEADERS.items():
                    response[name] = value
            return response

        return wrapper

    return decorate


@endpoint("GET")
def discovery(request, fmt: str, params: Params):
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "xml"})).rsplit("/", 1)[0] + "/"
    changeset = queries.iso(catalogue.CHANGESET)
    document = {
        "changeset": changeset,
        "contact": conf.contact(),
        "key_service": _("api_key 由平台管理员签发（manage.py open311 create-key --name 合作方名称）。"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": [render.CONTENT_TYPES["xml"].split(";")[0], render.CONTENT_TYPES["json"].split(";")[0]],
            }
        ],
    }
    return render.respond(fmt, "discovery", document)


@endpoint("GET")
def service_list(request, fmt: str, params: Params):
    return render.respond(fmt, "services", [catalogue.service_row(s) for s in catalogue.SERVICES])


@endpoint("GET")
def service_definition(request, fmt: str, params: Params, code: str):
    return render.respond(fmt, "service_definition", catalogue.definition(catalogue.get(code)))


@endpoint("GET", "POST")
def service_requests(request, fmt: str, params: Params):
    if request.method == "POST":
        key = _key(request, params, required=True)
        case, service = services.submit_request(key=key, params=params, now=_now())
        document = [
            {
                "service_request_id": case.number,
                "service_notice": str(service.notice),
                "account_id": params.get("account_id"),
            }
        ]
        return render.respond(fmt, "service_requests", document)
    key = _reader(request, params)
    query = queries.parse_query(params, _now())
    cases, more = queries.run(query, key)
    response = render.respond(fmt, "service_requests", queries.request_rows(cases))
    if more:  # the extension's paging: where the next page is (the key is left for the client to add)
        following = request.GET.copy()
        following.pop("api_key", None)
        following["page"] = str(query.page + 1)
        response["Link"] = f'<{request.build_absolute_uri(request.path)}?{following.urlencode()}>; rel="next"'
    return response


@endpoint("GET")
def service_request(request, fmt: str, params: Params, request_id: str):
    key = _reader(request, params)
    return render.respond(fmt, "service_requests", queries.request_rows([queries.find(request_id, key)]))


@endpoint("GET")
def token(request, fmt: str, params: Params, token: str):
    """Our services are realtime: POST answers with the service_request_id at once, so no token is
    ever issued and every token is unknown."""
    message = _("未找到 token“%(token)s”：本平台的服务均为实时（realtime）受理，不签发 token。")
    raise SpecError(404, message % {"token": token[:40]})


@endpoint("GET", "POST")
def _unknown(request, fmt: str, params: Params, path: str):
    raise SpecError(400, _("无效的地址：/open311/v2/%(path)s。接口说明见 discovery.xml。") % {"path": path[:80]})


def unknown(request, path: str = ""):
    """Any other address under /open311/v2/: a 400 in the spec's format (JSON if it asked for .json)."""
    return _unknown(request, fmt="json" if path.lower().endswith(".json") else "xml", path=path)
