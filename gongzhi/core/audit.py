"""Writing the audit trail. Services call `log_change` inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from .choices import ChangeAction
from .context import get_request_id
from .models import ObjectChange

# Field names whose values never enter the audit trail in clear.
REDACTED_SUFFIXES = ("_hash",)
REDACTED_FIELDS = {"password"}


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def serialize_object(obj: models.Model) -> dict[str, Any]:
    """A JSON-able snapshot of the concrete fields of `obj` (FKs as ids, secrets redacted)."""
    data: dict[str, Any] = {}
    excluded = getattr(obj, "audit_exclude", ())
    for field in obj._meta.concrete_fields:
        name = field.attname
        if field.name in REDACTED_FIELDS or name.endswith(REDACTED_SUFFIXES) or field.name in excluded:
            continue
        if getattr(field, "encrypted", False):
            data[field.name] = "***" if getattr(obj, field.attname) else ""
            continue
        data[field.name if not field.is_relation else name] = _plain(getattr(obj, name))
    return data


def log_change(
    *,
    actor,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None = None,
    actor_name: str | None = None,
) -> ObjectChange:
    """Record that `actor` applied `action` to `obj`. `before` is the snapshot taken earlier.

    `actor_name` names an actor without an account (a reporter acting through a signed link)."""
    after = None if action == ChangeAction.DELETE else serialize_object(obj)
    scope = object_scope(obj)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return ObjectChange.objects.create(
        user=user,
        user_name=(user.get_full_name() or user.get_username()) if user else (actor_name or "system"),
        request_id=get_request_id(),
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        prechange_data=before,
        postchange_data=after,
        **scope,
    )


SCOPE_LEVELS = ("district", "street", "community", "grid")


def object_scope(obj: models.Model) -> dict[str, int | None]:
    """The territory ids of an object: its own id at its level, its ancestors' from their keys."""
    scope_of = getattr(obj, "audit_scope", None)
    if scope_of is not None:
        return scope_of()
    result: dict[str, int | None] = {}
    own_level = getattr(obj, "level", None)
    for level in SCOPE_LEVELS:
        if own_level == level:
            result[f"{level}_id"] = obj.pk
        else:
            result[f"{level}_id"] = getattr(obj, f"{level}_id", None)
    return result
