"""Writes to users and their assignments: atomic and audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change
from gongzhi.core.choices import ChangeAction

from .choices import Level
from .models import Assignment, User


@transaction.atomic
def create_user(*, actor, username: str, password: str | None, display_name: str = "", **extra) -> User:
    user = User(username=username, display_name=display_name, **extra)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    log_change(actor=actor, obj=user, action=ChangeAction.CREATE)
    return user


@transaction.atomic
def assign_role(*, actor, user: User, role: str, node) -> Assignment:
    """Give `user` the `role` over `node` (a district, street, community, grid or building)."""
    level = getattr(node, "level", "")
    if level not in Level.values:
        raise ValidationError(_("只能任职到区、街道、社区、网格或楼栋。"))
    existing = Assignment.objects.filter(user=user, role=role, level=level, **{level: node}).first()
    if existing:
        return existing
    assignment = Assignment(user=user, role=role, level=level, **{level: node})
    assignment.full_clean()
    assignment.save()
    log_change(actor=actor, obj=assignment, action=ChangeAction.CREATE)
    user.__dict__.pop("_assignments", None)
    return assignment


@transaction.atomic
def remove_assignment(*, actor, assignment: Assignment) -> None:
    from gongzhi.core.audit import serialize_object

    before = serialize_object(assignment)
    pk = assignment.pk
    assignment.delete()
    assignment.pk = pk
    log_change(actor=actor, obj=assignment, action=ChangeAction.DELETE, before=before)
