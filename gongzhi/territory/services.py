"""Writes to the territory tree. Every function is atomic and audited.

Ancestor keys are derived here from the parent, never taken from input; geometry is
validated, must lie inside the parent's boundary, and its area and centroid are computed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction

from . import geometry
from .models import Building, Community, Compound, District, Grid, Street

# Which field holds the parent, and which ancestor ids each level copies from it.
CHILD_MODEL: dict[Any, Any] = {District: Street, Street: Community, Community: Grid, Grid: Compound, Compound: Building}
PARENT_FIELD = {Street: "district", Community: "street", Grid: "community", Compound: "grid", Building: "compound"}
ANCESTORS = {
    Street: [],
    Community: ["district"],
    Grid: ["street", "district"],
    Compound: ["community", "street", "district"],
    Building: ["community", "street", "district"],
}
EDITABLE = {
    District: {"name", "code", "geometry"},
    Street: {"name", "code", "geometry"},
    Community: {"name", "code", "geometry"},
    Grid: {"name", "code", "geometry"},
    Compound: {
        "name",
        "code",
        "geometry",
        "address",
        "property_management",
        "property_company",
        "owners_organisation",
        "is_three_no",
        "is_occupied",
    },
    Building: {"name", "code", "lon", "lat", "footprint", "floors", "units", "grid"},
}


def _apply_geometry(node) -> None:
    """Validate the node's geometry against its parent; compute area and centroid."""
    if isinstance(node, Building):
        point = geometry.parse_point(node.lon, node.lat)
        if node.footprint:
            geometry.parse_polygon(node.footprint)
        grid_geom = node.grid.geometry
        if grid_geom and not geometry.contains(geometry.parse_polygon(grid_geom), point):
            raise ValidationError({"lon": _("楼栋位置不在所属网格 %(grid)s 的范围内。") % {"grid": node.grid.name}})
        return
    if not node.geometry:
        node.area_km2 = node.centroid_lon = node.centroid_lat = None
        return
    try:
        geom = geometry.parse_polygon(node.geometry)
    except ValidationError as exc:
        raise ValidationError({"geometry": exc.messages}) from exc
    parent = node.parent
    if parent is not None and parent.geometry and not geometry.contains(geometry.parse_polygon(parent.geometry), geom):
        raise ValidationError({"geometry": _("边界超出了上级“%(parent)s”的范围。") % {"parent": parent.name}})
    _check_siblings(node, geom)
    if node.pk:
        _check_children(node, geom)
    node.geometry = geometry.to_geojson(geom)
    node.area_km2 = round(geometry.area_km2(geom), 6)
    node.centroid_lon, node.centroid_lat = geometry.centroid(geom)


def _check_siblings(node, geom) -> None:
    """Nodes under one parent must not overlap (shared edges are fine): a point has one grid."""
    model = type(node)
    if model is District:
        return
    siblings = model._default_manager.filter(**{PARENT_FIELD[model]: getattr(node, PARENT_FIELD[model])})
    for other in siblings.exclude(pk=node.pk).exclude(geometry=None).only("pk", "name", "geometry"):
        if geometry.overlaps(geom, geometry.parse_polygon(other.geometry)):
            raise ValidationError({"geometry": _("边界与同级的“%(name)s”重叠。") % {"name": other.name}})


def _check_children(node, geom) -> None:
    """A changed boundary must still hold everything below it."""
    model = type(node)
    child_model = CHILD_MODEL.get(model)
    if child_model is None:
        return
    children = child_model._default_manager.filter(**{PARENT_FIELD[child_model]: node})
    if child_model is Building:
        outside = [
            b
            for b in children.only("pk", "name", "lon", "lat")
            if not geometry.contains(geom, geometry.parse_point(b.lon, b.lat))
        ]
    else:
        outside = [
            c
            for c in children.exclude(geometry=None).only("pk", "name", "geometry")
            if not geometry.contains(geom, geometry.parse_polygon(c.geometry))
        ]
    if model is Grid:  # buildings of other compounds may also sit in this grid
        outside += [
            b
            for b in Building.objects.filter(grid=node).only("pk", "name", "lon", "lat")
            if not geometry.contains(geom, geometry.parse_point(b.lon, b.lat))
        ]
    if outside:
        names = "、".join(sorted({str(c.name) for c in outside})[:5])
        raise ValidationError({"geometry": _("新边界没有包含下级：%(names)s。") % {"names": names}})


def _inherit_ancestors(node) -> None:
    model = type(node)
    if model is District:
        return
    parent = getattr(node, PARENT_FIELD[model])
    for field in ANCESTORS[model]:
        setattr(node, f"{field}_id", getattr(parent, f"{field}_id"))
    if model is Building:
        if node.grid_id is None:
            node.grid_id = parent.grid_id
        if node.grid.community_id != parent.community_id:
            raise ValidationError({"grid": _("楼栋所在网格必须属于小区所在社区。")})


@transaction.atomic
def create_node(model, *, actor, parent=None, **data: Any):
    """Create a territory node under `parent` (None only for a district)."""
    unknown = set(data) - EDITABLE[model]
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    node = model(**data)
    if model is not District:
        if parent is None:
            raise ValidationError({PARENT_FIELD[model]: _("必须指定上级。")})
        setattr(node, PARENT_FIELD[model], parent)
        _inherit_ancestors(node)
    node.full_clean()
    _apply_geometry(node)
    node.save()
    log_change(actor=actor, obj=node, action=ChangeAction.CREATE)
    return node


@transaction.atomic
def update_node(node, *, actor, **data: Any):
    """Change editable fields of a node. Parents are fixed once created (except a building's grid)."""
    model = type(node)
    unknown = set(data) - EDITABLE[model]
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    node = model.objects.select_for_update().get(pk=node.pk)
    before = serialize_object(node)
    for key, value in data.items():
        setattr(node, key, value)
    if model is not District:
        _inherit_ancestors(node)
    node.full_clean()
    _apply_geometry(node)
    node.save()
    log_change(actor=actor, obj=node, action=ChangeAction.UPDATE, before=before)
    if model is Building and before["grid_id"] != node.grid_id:
        _move_population(node)
    return node


def _move_population(building: Building) -> None:
    """A building moved to another grid takes its households and residents with it."""
    from gongzhi.population.models import Household, Resident

    Household.objects.filter(building=building).update(grid_id=building.grid_id)
    Resident.objects.filter(building=building).update(grid_id=building.grid_id)


@transaction.atomic
def delete_node(node, *, actor) -> None:
    """Delete a node that has nothing below it (children, households, assignments) — PROTECT enforces it."""
    from django.db.models import ProtectedError

    before = serialize_object(node)
    try:
        node.delete()
    except ProtectedError as exc:
        raise ValidationError(_("“%(name)s”下还有下级、住户或任职人员，不能删除。") % {"name": str(node)}) from exc
    node.pk = before["id"]
    log_change(actor=actor, obj=node, action=ChangeAction.DELETE, before=before)
