from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Assignment, User
from ..roles import ROLE_PERMISSIONS


class AssignmentSerializer(serializers.ModelSerializer):
    node_id = serializers.IntegerField(read_only=True)
    node_name = serializers.SerializerMethodField(label=_("节点名称"))

    class Meta:
        model = Assignment
        fields = ["id", "role", "level", "node_id", "node_name"]

    def get_node_name(self, obj) -> str:
        return str(obj.node)


class MeSerializer(serializers.ModelSerializer):
    assignments = AssignmentSerializer(many=True, read_only=True)
    permissions = serializers.SerializerMethodField(label=_("权限"))

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "organisation", "is_superuser", "assignments", "permissions"]

    def get_permissions(self, obj) -> list[str]:
        perms: set[str] = set()
        for a in obj.assignments.all():
            perms |= ROLE_PERMISSIONS.get(a.role, frozenset())
        return sorted(perms)


class MeView(APIView):
    """The signed-in user, their roles, territory assignments and permissions."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        user = User.objects.prefetch_related(
            "assignments__district",
            "assignments__street",
            "assignments__community",
            "assignments__grid",
            "assignments__building",
        ).get(pk=request.user.pk)
        return Response(MeSerializer(user).data)
