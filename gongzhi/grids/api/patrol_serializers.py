"""Serializers of the patrol API. They present; the submission is checked and stored by
`grids.patrols.submit_patrol` (the request serializers here only document its shape)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import EntryKind, PatrolStatus
from ..models import Patrol, PatrolEntry

# The two vocabularies are documented as text with their values: their field names ("kind",
# "status") are taken by other enums of the schema (drf-spectacular would rename them by hash).
KIND_HELP = "；".join(f"{value} = {label}" for value, label in EntryKind.choices)
STATUS_HELP = "；".join(f"{value} = {label}" for value, label in PatrolStatus.choices)

# -- the phone's submission (documentation of what submit_patrol accepts) ------------------------------


class EntrySubmitSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text=_("手机生成的记录编号：重复提交同一编号不会重复保存"))
    kind = serializers.CharField(default=EntryKind.NOTE, help_text=KIND_HELP)
    text = serializers.CharField(max_length=2000)
    time = serializers.DateTimeField()
    lon = serializers.FloatField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)


class PatrolSubmitSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text=_("手机在开始巡查时生成的编号：重复提交同一编号只会得到一次巡查"))
    grid = serializers.IntegerField(required=False, allow_null=True, help_text=_("网格编号，缺省为本人所在网格"))
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("结束巡查时填写"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    route = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True), min_length=3, max_length=4),
        required=False,
        help_text=_("轨迹点 [[经度, 纬度, Unix 秒, 精度米], …]，按时间顺序；重复提交时已保存的点不会重复"),
    )
    entries = EntrySubmitSerializer(many=True, required=False)


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text=_("JPEG、PNG、WebP 或 GIF，不超过 10 MB"))


# -- reading ----------------------------------------------------------------------------------------


def photo_url(entry: PatrolEntry) -> str | None:
    if not entry.photo:
        return None
    return reverse("grids-patrol-entry-photo", args=[entry.patrol.client_id, entry.client_id])


class PatrolListSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, label=_("状态"), help_text=STATUS_HELP)
    worker_name = serializers.SerializerMethodField(label=_("巡查人"))
    grid_name = serializers.CharField(source="grid.name", read_only=True, label=_("网格"))
    duration_minutes = serializers.IntegerField(read_only=True, label=_("时长（分钟）"))
    route_points = serializers.SerializerMethodField(label=_("轨迹点数"))
    entry_count = serializers.SerializerMethodField(label=_("记录数"))
    problem_count = serializers.SerializerMethodField(label=_("发现问题数"))
    url = serializers.SerializerMethodField(label=_("接口地址"))
    page_url = serializers.SerializerMethodField(label=_("页面地址"))

    class Meta:
        model = Patrol
        fields = [
            "id",
            "client_id",
            "worker",
            "worker_name",
            "grid",
            "grid_name",
            "community",
            "status",
            "started_at",
            "ended_at",
            "duration_minutes",
            "distance_m",
            "route_points",
            "entry_count",
            "problem_count",
            "url",
            "page_url",
        ]

    def get_worker_name(self, obj: Patrol) -> str:
        return obj.worker.get_full_name() or obj.worker.get_username()

    def get_route_points(self, obj: Patrol) -> int:
        return len(obj.route or [])

    def get_entry_count(self, obj: Patrol) -> int:
        counted = getattr(obj, "entry_count", None)
        return counted if counted is not None else len(obj.entries.all())

    def get_problem_count(self, obj: Patrol) -> int:
        counted = getattr(obj, "problem_count", None)
        if counted is not None:
            return counted
        return sum(1 for e in obj.entries.all() if e.kind == EntryKind.PROBLEM)

    def get_url(self, obj: Patrol) -> str:
        return reverse("grids-patrol-detail", args=[obj.client_id])

    def get_page_url(self, obj: Patrol) -> str:
        return reverse("grids:patrol-detail", args=[obj.pk])


class LineStringSerializer(serializers.Serializer):
    type = serializers.CharField(default="LineString")
    coordinates = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))


class EntryPropertiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    kind = serializers.CharField(help_text=KIND_HELP)
    kind_label = serializers.CharField()
    text = serializers.CharField()
    time = serializers.DateTimeField()
    photo_url = serializers.CharField(allow_null=True)
    case = serializers.IntegerField(allow_null=True)
    case_number = serializers.CharField(allow_null=True)


class EntryFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(default="Feature")
    geometry = serializers.JSONField(allow_null=True, help_text=_("GeoJSON Point，或没有位置时为 null"))
    properties = EntryPropertiesSerializer()


class EntryCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(default="FeatureCollection")
    features = EntryFeatureSerializer(many=True)


def entry_feature(entry: PatrolEntry) -> dict:
    point = None
    if entry.lon is not None and entry.lat is not None:
        point = {"type": "Point", "coordinates": [entry.lon, entry.lat]}
    return {
        "type": "Feature",
        "geometry": point,
        "properties": {
            "id": entry.pk,
            "client_id": str(entry.client_id),
            "kind": entry.kind,
            "kind_label": str(entry.get_kind_display()),
            "text": entry.text,
            "time": serializers.DateTimeField().to_representation(entry.time),
            "photo_url": photo_url(entry),
            "case": entry.case_id,
            "case_number": entry.case.number if entry.case is not None else None,
        },
    }


class PatrolDetailSerializer(PatrolListSerializer):
    route = serializers.SerializerMethodField(label=_("轨迹（GeoJSON LineString）"))
    entries = serializers.SerializerMethodField(label=_("记录（GeoJSON 点）"))

    class Meta(PatrolListSerializer.Meta):
        fields = [*PatrolListSerializer.Meta.fields, "note", "received_at", "route", "entries"]

    @extend_schema_field(LineStringSerializer(allow_null=True))
    def get_route(self, obj: Patrol):
        coordinates = [[p[0], p[1]] for p in obj.route or []]
        if len(coordinates) < 2:
            return None  # a LineString needs two positions
        return {"type": "LineString", "coordinates": coordinates}

    @extend_schema_field(EntryCollectionSerializer)
    def get_entries(self, obj: Patrol):
        return {"type": "FeatureCollection", "features": [entry_feature(e) for e in obj.entries.all()]}


class SubmittedSerializer(PatrolDetailSerializer):
    case_errors = serializers.SerializerMethodField(label=_("未能转为事项的问题（下次提交时重试）"))

    class Meta(PatrolDetailSerializer.Meta):
        fields = [*PatrolDetailSerializer.Meta.fields, "case_errors"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_case_errors(self, obj: Patrol):
        return self.context.get("case_errors", {})


class EntryPhotoSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, label=_("类型"), help_text=KIND_HELP)
    photo_url = serializers.SerializerMethodField(label=_("照片地址"))

    class Meta:
        model = PatrolEntry
        fields = ["id", "client_id", "kind", "text", "time", "photo_url", "case"]

    def get_photo_url(self, obj: PatrolEntry) -> str | None:
        return photo_url(obj)
