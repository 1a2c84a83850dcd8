"""API token authentication that reads the user's assignments in the same query.

Every API request checks the caller's scope (`User.has_scope_perm`, `scope_nodes`), which reads
the user's assignments; with DRF's own TokenAuthentication that is a second query on every request
(the token with its user, then the assignments). Here one query reads the token, its user and the
user's assignments (a LEFT JOIN: one row per assignment), and the assignments are handed to the user
as already read. Nothing is cached across requests: a revoked token, a deactivated user or a removed
assignment takes effect on the next request, as before.
"""

from __future__ import annotations

from django.db import router
from rest_framework import authentication
from rest_framework.authtoken.models import Token

from .models import Assignment, User

USER_FIELDS = [f.attname for f in User._meta.concrete_fields]
ASSIGNMENT_FIELDS = [f.attname for f in Assignment._meta.concrete_fields]


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's, in one query with the user's assignments."""

    def authenticate_credentials(self, key):
        rows = list(
            Token.objects.filter(key=key)
            .order_by("user__assignments__role", "user__assignments__pk")
            .values_list(
                "created",
                *(f"user__{name}" for name in USER_FIELDS),
                *(f"user__assignments__{name}" for name in ASSIGNMENT_FIELDS),
            )
        )
        db = router.db_for_read(User)
        user = User.from_db(db, USER_FIELDS, rows[0][1 : 1 + len(USER_FIELDS)]) if rows else None
        if user is None or not user.is_active:
            # DRF's own refusal, with its (translated) message: "Invalid token." / "User inactive or deleted."
            return super().authenticate_credentials(key)
        first = rows[0]
        offset = 1 + len(USER_FIELDS)
        assignments = []
        for row in rows:
            values = row[offset:]
            if values[0] is None:  # the user holds no assignment (LEFT JOIN)
                continue
            assignment = Assignment.from_db(db, ASSIGNMENT_FIELDS, values)
            assignment.user = user
            assignments.append(assignment)
        user.__dict__["_assignments"] = assignments  # User._assignments, already read
        token = Token.from_db(router.db_for_read(Token), ["key", "user_id", "created"], [key, user.pk, first[0]])
        token.user = user
        return (user, token)
