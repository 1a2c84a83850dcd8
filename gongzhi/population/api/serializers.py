from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from gongzhi.territory.api.serializers import ScopedParentField
from gongzhi.territory.models import Building

from .. import services
from ..choices import HEALTH_TAGS, HouseholdTag, ResidentTag, RevealField
from ..identity import mask_id_number, mask_phone
from ..models import Household, Resident, RevealLog


class HouseholdSerializer(serializers.ModelSerializer):
    building = ScopedParentField(queryset=Building.objects.all())
    tags = serializers.MultipleChoiceField(choices=HouseholdTag.choices, required=False, write_only=True)
    tag_list = serializers.SerializerMethodField(label=_("标签"))
    size = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Household
        fields = [
            "id",
            "building",
            "grid",
            "community",
            "street",
            "district",
            "room",
            "tags",
            "tag_list",
            "size",
            "created",
        ]
        read_only_fields = ["grid", "community", "street", "district"]

    def get_tag_list(self, obj) -> list[str]:
        return sorted(t.tag for t in obj.tag_links.all())

    def create(self, validated_data):
        return services.create_household(actor=self.context["request"].user, **validated_data)


class ResidentSerializer(serializers.ModelSerializer):
    """Personal data comes out masked; writes take the full values (stored encrypted)."""

    household = ScopedParentField(queryset=Household.objects.all())
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True, label=_("公民身份号码"))
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, label=_("手机号码"))
    id_number_masked = serializers.SerializerMethodField(label=_("公民身份号码（脱敏）"))
    phone_masked = serializers.SerializerMethodField(label=_("手机号码（脱敏）"))
    tags = serializers.MultipleChoiceField(choices=ResidentTag.choices, required=False)
    gender = serializers.CharField(required=False, allow_blank=True)

    class Meta:
        model = Resident
        fields = [
            "id", "household", "building", "grid", "community", "street", "district", "name", "gender", "birth_date",
            "relation", "residence_type", "registered_address", "id_number", "phone", "id_number_masked",
            "phone_masked", "tags", "created", "updated",
        ]  # fmt: skip
        read_only_fields = ["building", "grid", "community", "street", "district"]

    def get_id_number_masked(self, obj) -> str:
        return mask_id_number(obj.id_number)

    def get_phone_masked(self, obj) -> str:
        return mask_phone(obj.phone)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        health_ok = instance.pk in self.context.get("health_ids", set())
        data["tags"] = sorted(t.tag for t in instance.tag_links.all() if health_ok or t.tag not in HEALTH_TAGS)
        return data

    def create(self, validated_data):
        validated_data["tags"] = sorted(validated_data.get("tags", []))
        return services.create_resident(actor=self.context["request"].user, **validated_data)

    def update(self, instance, validated_data):
        if "household" in validated_data and validated_data.pop("household") != instance.household:
            raise serializers.ValidationError({"household": [_("迁户请使用迁移功能。")]})
        tags = validated_data.pop("tags", None)
        return services.update_resident(
            instance,
            actor=self.context["request"].user,
            tags=sorted(tags) if tags is not None else None,
            **validated_data,
        )


class RevealRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=RevealField.choices, label=_("查看内容"))
    reason = serializers.CharField(max_length=200, label=_("查看事由"))


class RevealResponseSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class RevealLogSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.get_full_name", read_only=True)
    resident_name = serializers.CharField(source="resident.name", read_only=True)

    class Meta:
        model = RevealLog
        fields = ["id", "time", "user", "user_name", "resident", "resident_name", "field", "reason", "request_id"]
