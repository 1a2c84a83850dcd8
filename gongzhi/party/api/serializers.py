from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gongzhi.population.models import Household, Resident
from gongzhi.territory.models import Building, Community, Compound, District, Grid, Street

from .. import services
from ..choices import OrgLevel, ReportStatus
from ..coverage import party_scoped
from ..models import PartyMember, PartyOrganisation, PartyRole, ReportIn

NODE_MODELS = {
    OrgLevel.DISTRICT: District,
    OrgLevel.STREET: Street,
    OrgLevel.COMMUNITY: Community,
    OrgLevel.GRID: Grid,
    OrgLevel.COMPOUND: Compound,
}


class ChangeScopedField(serializers.PrimaryKeyRelatedField):
    """A related object limited to where the caller holds `party.change` (404-like 400 otherwise)."""

    default_error_messages = {"does_not_exist": _("{pk_value} 不存在或不在您的管辖范围内。")}

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        if request is None:
            return qs.none()
        if getattr(qs.model, "scope_app", None) == "party":
            return qs.restrict(request.user, "change")
        if qs.model is Resident:
            return qs.restrict(request.user, "view")
        return party_scoped(qs, request.user, "change")


class RoleSerializer(serializers.ModelSerializer):
    organisation = ChangeScopedField(queryset=PartyOrganisation.objects.all(), required=False, allow_null=True)
    building = ChangeScopedField(queryset=Building.objects.all(), required=False, allow_null=True)
    compound = ChangeScopedField(queryset=Compound.objects.all(), required=False, allow_null=True)

    class Meta:
        model = PartyRole
        fields = ["id", "role", "organisation", "building", "compound"]

    def create(self, validated_data):
        return services.assign_party_role(
            actor=self.context["request"].user, member=self.context["member"], **validated_data
        )


class OrganisationSerializer(serializers.ModelSerializer):
    """Create and change through party.services; the anchor keys are derived and read-only."""

    parent = ChangeScopedField(queryset=PartyOrganisation.objects.all(), required=False, allow_null=True)
    compounds = ChangeScopedField(queryset=Compound.objects.all(), many=True, required=False)
    buildings = ChangeScopedField(queryset=Building.objects.all(), many=True, required=False)
    node_level = serializers.ChoiceField(
        choices=OrgLevel.choices, write_only=True, required=False, label=_("对应区域层级")
    )
    node_id = serializers.IntegerField(write_only=True, required=False, label=_("对应区域编号"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = PartyOrganisation
        fields = [
            "id",
            "parent",
            "kind",
            "kind_label",
            "name",
            "level",
            "district",
            "street",
            "community",
            "grid",
            "compound",
            "compounds",
            "buildings",
            "node_level",
            "node_id",
            "created",
            "updated",
        ]
        read_only_fields = ["level", "district", "street", "community", "grid", "compound"]

    def _node(self, attrs):
        level, pk = attrs.pop("node_level", None), attrs.pop("node_id", None)
        if level is None and pk is None:
            return None
        if level is None or pk is None:
            raise serializers.ValidationError({"node_id": [_("请同时填写对应区域层级和编号。")]})
        model = NODE_MODELS[OrgLevel(level)]
        node = party_scoped(model.objects.all(), self.context["request"].user, "change").filter(pk=pk).first()
        if node is None:
            raise serializers.ValidationError({"node_id": [_("%(pk)s 不存在或不在您的管辖范围内。") % {"pk": pk}]})
        return node

    def create(self, validated_data):
        node = self._node(validated_data)
        return services.create_organisation(actor=self.context["request"].user, node=node, **validated_data)

    def update(self, instance, validated_data):
        changed = [
            f
            for f in ("kind", "parent", "node_level", "node_id")
            if f in validated_data and validated_data[f] != getattr(instance, f, None)
        ]
        if changed:
            raise serializers.ValidationError({changed[0]: [_("组织类型、上级组织和对应区域创建后不可修改。")]})
        for f in ("kind", "parent", "node_level", "node_id"):
            validated_data.pop(f, None)
        return services.update_organisation(instance, actor=self.context["request"].user, **validated_data)


class MemberRoleSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = PartyRole
        fields = ["id", "role", "role_label", "organisation", "building", "compound"]


class MemberSerializer(serializers.ModelSerializer):
    """Phones are write-only; reads give the masked number only."""

    organisation = ChangeScopedField(queryset=PartyOrganisation.objects.all(), required=False, allow_null=True)
    building = ChangeScopedField(queryset=Building.objects.all(), required=False, allow_null=True)
    community = ChangeScopedField(queryset=Community.objects.all(), required=False)
    resident = ChangeScopedField(queryset=Resident.objects.all(), required=False, allow_null=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20, label=_("手机号码"))
    phone_masked = serializers.CharField(read_only=True, label=_("手机号码（脱敏）"))
    roles = MemberRoleSerializer(many=True, read_only=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "gender",
            "member_type",
            "workplace",
            "joined_on",
            "phone",
            "phone_masked",
            "organisation",
            "resident",
            "building",
            "compound",
            "grid",
            "community",
            "street",
            "district",
            "roles",
            "created",
            "updated",
        ]
        read_only_fields = ["compound", "grid", "street", "district"]
        extra_kwargs = {"name": {"required": False}, "gender": {"required": False}}

    def create(self, validated_data):
        return services.create_member(actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        return services.update_member(instance, actor=self.context["request"].user, **validated_data)


class HouseholdLinksSerializer(serializers.Serializer):
    households = ChangeScopedField(queryset=Household.objects.all(), many=True, label=_("联系住户"))


class ReportInSerializer(serializers.ModelSerializer):
    member = ChangeScopedField(queryset=PartyMember.objects.all())
    community = ChangeScopedField(queryset=Community.objects.all(), required=False)
    skills = serializers.ListField(child=serializers.CharField(max_length=20), required=False, label=_("特长"))
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = ReportIn
        fields = ["id", "member", "member_name", "community", "reported_on", "skills", "status", "created", "updated"]
        read_only_fields = ["status"]
        validators: list = []  # one open report per member and community: checked by services.report_in

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["skills"] = instance.skill_list
        return data

    def create(self, validated_data):
        return services.report_in(actor=self.context["request"].user, **validated_data)


class ReportStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, label=_("状态"))


class CoverageQuerySerializer(serializers.Serializer):
    community = serializers.IntegerField(required=False, min_value=1, label=_("社区"))


class CoverageCompoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    community_id = serializers.IntegerField()
    community_name = serializers.CharField()
    direct = serializers.IntegerField()
    others = serializers.IntegerField()
    expected = serializers.CharField()
    organisation_id = serializers.IntegerField(allow_null=True)
    organisation_name = serializers.CharField()
    organisation_kind = serializers.CharField()
    status = serializers.CharField()


class CoverageBuildingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    compound_id = serializers.IntegerField()
    compound_name = serializers.CharField()
    community_id = serializers.IntegerField()
    community_name = serializers.CharField()
    households = serializers.IntegerField()
    central_households = serializers.IntegerField()
    group_id = serializers.IntegerField(allow_null=True)


class CoverageGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    buildings = serializers.IntegerField()
    community_id = serializers.IntegerField(allow_null=True)
    community_name = serializers.CharField()
    parent_name = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    summary = serializers.DictField(child=serializers.FloatField(allow_null=True))
    compounds = CoverageCompoundSerializer(many=True)
    buildings_without_group = CoverageBuildingSerializer(many=True)
    buildings_without_central_household = CoverageBuildingSerializer(many=True)
    oversized_groups = CoverageGroupSerializer(many=True)
