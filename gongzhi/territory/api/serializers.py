from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import services
from ..models import Building, Community, Compound, District, Grid, Street

COMMON = ["id", "name", "code", "geometry", "area_km2", "centroid_lon", "centroid_lat", "created", "updated"]
ANCESTOR_FIELDS = ["district", "street", "community", "grid"]


class ScopedParentField(serializers.PrimaryKeyRelatedField):
    """A parent choice limited to the nodes the caller may change."""

    default_error_messages = {
        "does_not_exist": _("上级 {pk_value} 不存在或不在您的管辖范围内。"),
    }

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.restrict(request.user, "change") if request else qs.none()


class NodeSerializer(serializers.ModelSerializer):
    """Create/update through territory.services; ancestors and area are derived, read-only."""

    parent_field: str | None = None

    def create(self, validated_data):
        parent = validated_data.pop(self.parent_field, None) if self.parent_field else None
        return services.create_node(
            self.Meta.model, actor=self.context["request"].user, parent=parent, **validated_data
        )

    def update(self, instance, validated_data):
        parent_field = self.parent_field
        moved = parent_field in validated_data and validated_data.pop(parent_field) != getattr(instance, parent_field)
        if parent_field and moved:
            raise serializers.ValidationError({parent_field: [_("上级创建后不可修改。")]})
        return services.update_node(instance, actor=self.context["request"].user, **validated_data)


def node_serializer(model, parent_field, extra=(), read_only=()):
    fields = list(COMMON) + [parent_field] * bool(parent_field) + list(read_only) + list(extra)
    attrs = {
        "parent_field": parent_field,
        "Meta": type(
            "Meta",
            (),
            {
                "model": model,
                "fields": fields,
                "read_only_fields": ["area_km2", "centroid_lon", "centroid_lat", *read_only],
            },
        ),
    }
    if parent_field:
        parent_model = model._meta.get_field(parent_field).related_model
        attrs[parent_field] = ScopedParentField(queryset=parent_model.objects.all())
    return type(f"{model.__name__}Serializer", (NodeSerializer,), attrs)


DistrictSerializer = node_serializer(District, None)
StreetSerializer = node_serializer(Street, "district")
CommunitySerializer = node_serializer(Community, "street", read_only=["district"])
GridSerializer = node_serializer(Grid, "community", read_only=["street", "district"])
CompoundSerializer = node_serializer(
    Compound,
    "grid",
    read_only=["community", "street", "district"],
    extra=["address", "property_management", "property_company", "owners_organisation", "is_three_no", "is_occupied"],
)


class BuildingSerializer(NodeSerializer):
    parent_field = "compound"
    compound = ScopedParentField(queryset=Compound.objects.all())
    grid = ScopedParentField(queryset=Grid.objects.all(), required=False)

    class Meta:
        model = Building
        fields = [
            "id",
            "name",
            "code",
            "compound",
            "grid",
            "community",
            "street",
            "district",
            "lon",
            "lat",
            "footprint",
            "floors",
            "units",
            "created",
            "updated",
        ]
        read_only_fields = ["community", "street", "district"]


class ResolveSerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=73, max_value=136, label=_("经度"))
    lat = serializers.FloatField(min_value=3, max_value=54, label=_("纬度"))
