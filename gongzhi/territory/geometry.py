"""GeoJSON geometry helpers: validation, metric area, centroids and point resolution.

Geometry is stored as GeoJSON (WGS-84 longitude/latitude) in JSON columns; shapely does the
geometry and pyproj the metric projection. No GDAL/PostGIS is required.
"""

from __future__ import annotations

import functools
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape
from shapely.ops import transform

POLYGON_TYPES = {"Polygon", "MultiPolygon"}
# Loose bounding box of China, to catch swapped coordinates and typos.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
# Tolerance (degrees, about 1 cm) for "child lies within parent" on shared edges.
CONTAIN_TOLERANCE = 1e-7
# Overlap area (square degrees, about 1 m² at these latitudes) below which polygons only touch.
OVERLAP_TOLERANCE = 1e-10


def parse_polygon(value: Any) -> shapely.Geometry:
    """Validate a GeoJSON Polygon/MultiPolygon dict and return the shapely geometry."""
    if not isinstance(value, dict) or value.get("type") not in POLYGON_TYPES:
        raise ValidationError(_("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon。"))
    try:
        geom = shape(value)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError) as exc:
        raise ValidationError(_("边界坐标格式不正确：%(error)s") % {"error": exc}) from exc
    if geom.is_empty:
        raise ValidationError(_("边界不能为空。"))
    _check_bounds(geom)
    if not geom.is_valid:
        raise ValidationError(
            _("边界图形无效（%(reason)s），请检查是否自相交。") % {"reason": shapely.is_valid_reason(geom)}
        )
    return geom


def parse_point(lon: Any, lat: Any) -> shapely.Point:
    try:
        point = shapely.Point(float(lon), float(lat))
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("经纬度必须是数字。")) from exc
    _check_bounds(point)
    return point


def _check_bounds(geom: shapely.Geometry) -> None:
    minx, miny, maxx, maxy = geom.bounds
    if not (LON_RANGE[0] <= minx and maxx <= LON_RANGE[1] and LAT_RANGE[0] <= miny and maxy <= LAT_RANGE[1]):
        raise ValidationError(_("坐标超出中国范围（经度 73–136，纬度 3–54），请检查经纬度是否写反。"))


@functools.lru_cache(maxsize=256)
def _equal_area(lon: float, lat: float) -> Transformer:
    crs = CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m +no_defs")
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def area_km2(geom: shapely.Geometry) -> float:
    """Area in km², in a Lambert azimuthal equal-area projection centred near the geometry.

    The projection centre is the centroid rounded to 0.1° (about 10 km): equal-area is exact
    anywhere, and the rounding lets neighbouring polygons share one transformer.
    """
    c = geom.centroid
    project = _equal_area(round(c.x, 1), round(c.y, 1)).transform
    return transform(project, geom).area / 1_000_000


def centroid(geom: shapely.Geometry) -> tuple[float, float]:
    point = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    return round(point.x, 7), round(point.y, 7)


def contains(parent: shapely.Geometry, child: shapely.Geometry) -> bool:
    return parent.buffer(CONTAIN_TOLERANCE).contains(child)


def overlaps(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """True when two polygons share more than an edge (an overlap of more than about 1 m²)."""
    return a.intersects(b) and a.intersection(b).area > OVERLAP_TOLERANCE


def to_geojson(geom: shapely.Geometry) -> dict[str, Any]:
    return mapping(geom)
