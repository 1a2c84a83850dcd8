import re

from .context import new_request_id, set_request_id

_VALID = re.compile(r"^[A-Za-z0-9-]{8,36}$")


class RequestIdMiddleware:
    """Give every request an id (or accept a sane X-Request-ID) for logs and audit rows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID.match(incoming) else new_request_id()
        # Set, not reset afterwards: Django logs 4xx/5xx responses after the middleware
        # returns, and those lines should carry the id too. The next request overwrites it.
        set_request_id(request.id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response
