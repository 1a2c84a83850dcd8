"""The one error of the Open311 adapter: a list of (code, description) pairs and an HTTP status,
rendered as the spec's `errors[error{code, description}]` (GeoReport v2, "Errors")."""

from __future__ import annotations


class SpecError(Exception):
    """An answer in the spec's error format. `status` is the HTTP status (400, 403, 404, 405);
    each error's `code` is the same number unless told otherwise; descriptions are for the user."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.errors = [(status, str(d)) for d in descriptions]

    def __str__(self) -> str:
        return "; ".join(d for _c, d in self.errors)
