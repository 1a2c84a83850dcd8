"""Territorial scope: every read starts from `Model.objects.restrict(user, action)`.

A scoped model declares `scope_lookups`, a map from an assignment level ("district",
"street", "community", "grid", "building") to the ORM lookup that holds the id of that
level's node on the model, and `scope_app`, the permission namespace ("territory",
"population", ...). A user sees a row when one of their assignments grants
`<scope_app>.<action>` and the row lies in that assignment's node subtree.
(After NetBox's RestrictedQuerySet, without its JSON permission rules.)
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view", app: str | None = None) -> ScopedQuerySet:
        """Rows in the subtrees where `user` holds `<app>.<action>` (app: the model's scope_app).

        `app` lets one area ask about another's objects, e.g. the buildings in which a user may
        register residents: Building.objects.restrict(user, "change", app="population").
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        perm = f"{app or self.model.scope_app}.{action}"
        nodes = user.scope_nodes(perm)
        lookups: dict[str, str] = self.model.scope_lookups
        condition = Q()
        matched = False
        for level, ids in nodes.items():
            lookup = lookups.get(level)
            if lookup and ids:
                condition |= Q(**{f"{lookup}__in": sorted(ids)})
                matched = True
        if not matched:
            return self.none()
        return self.filter(condition)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
