"""The patrol API under /api/grids/patrols/ (日巡查、日走访).

`POST /api/grids/patrols/` takes the whole patrol as the phone has it (JSON) and is idempotent by
its `client_id`: 201 when this call created the patrol, 200 when it was already there (whatever the
resend added), with the stored patrol in both cases. Photos go one per entry, as multipart, to
`/api/grids/patrols/<client_id>/entries/<entry_client_id>/photo/` (201 stored, 200 already there).

Reads are scoped: the patrols in the caller's territory (territory.view) and the caller's own;
another's is 404. Anonymous is 401; signed in without territory.view or grids.patrol is 403.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .. import patrols
from ..models import Patrol, PatrolEntry
from . import patrol_serializers as s

ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("输入有误：按字段列出的错误信息")),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description=_("不存在或不在您的管辖范围内")),
}


class PatrolAccess(BasePermission):
    """Reading: territory.view or grids.patrol somewhere. Writing: grids.patrol somewhere."""

    message = _("您的角色没有此操作的权限。")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if request.method == "POST":
            return patrols.may_patrol(user)
        return patrols.may_see_patrols(user)


def _detail_queryset(user):
    return patrols.visible_patrols(user).select_related("worker", "grid").prefetch_related("entries__case")


class PatrolListView(generics.ListAPIView):
    """巡查 in your scope (newest first), filtered by grid, community, worker, status and date; and
    the phone's submission (`POST`)."""

    permission_classes = [PatrolAccess]
    serializer_class = s.PatrolListSerializer
    filterset_class = patrols.PatrolFilterSet
    parser_classes = [JSONParser]
    queryset = Patrol.objects.none()

    def get_queryset(self):
        visible = patrols.visible_patrols(self.request.user).select_related("worker", "grid")
        return patrols.with_counts(visible).order_by("-started_at", "-pk")

    @extend_schema(
        request=s.PatrolSubmitSerializer,
        responses={201: s.SubmittedSerializer, 200: s.SubmittedSerializer, 403: ERRORS[404], 400: ERRORS[400]},
    )
    def post(self, request, *args, **kwargs):
        """开始、续传或结束一次巡查: the whole patrol as the phone has it. Sent again (after a lost
        answer, or with more route points and entries) it finds the same patrol: route points are
        merged without duplicates, entries are stored once by their `client_id`, a problem entry
        becomes one case. 201 when created by this call, 200 when it already existed."""
        data = request.data if isinstance(request.data, dict) else {}
        result = patrols.submit_patrol(
            worker=request.user, client_id=data.get("client_id"), payload=data, now=timezone.now()
        )
        patrol = _detail_queryset(request.user).get(pk=result.patrol.pk)
        body = s.SubmittedSerializer(patrol, context={"request": request, "case_errors": result.case_errors}).data
        location = reverse("grids-patrol-detail", args=[patrol.client_id], request=request)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(body, status=code, headers={"Location": location})


class PatrolDetailView(generics.RetrieveAPIView):
    """One patrol: its route as a GeoJSON LineString (null with fewer than two points) and its
    entries as GeoJSON points (geometry null when an entry has no position)."""

    permission_classes = [PatrolAccess]
    serializer_class = s.PatrolDetailSerializer
    lookup_field = "client_id"
    queryset = Patrol.objects.none()

    def get_queryset(self):
        return _detail_queryset(self.request.user)


class EntryPhotoView(APIView):
    """The photo of one patrol entry: `GET` the file, `POST` (multipart, field `photo`) to upload it.
    Only the patrol's worker uploads; an entry keeps its first photo (a resend answers 200)."""

    permission_classes = [PatrolAccess]
    parser_classes = [MultiPartParser, FormParser]

    def entry(self, request, client_id, entry_client_id) -> PatrolEntry:
        patrol = get_object_or_404(patrols.visible_patrols(request.user), client_id=client_id)
        return get_object_or_404(PatrolEntry.objects.select_related("patrol"), patrol=patrol, client_id=entry_client_id)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]})
    def get(self, request, client_id, entry_client_id):
        entry = self.entry(request, client_id, entry_client_id)
        if not entry.photo:
            raise Http404
        try:
            handle = entry.photo.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle)

    @extend_schema(
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.EntryPhotoSerializer, 200: s.EntryPhotoSerializer, **ERRORS},
    )
    def post(self, request, client_id, entry_client_id):
        entry = self.entry(request, client_id, entry_client_id)
        stored, created = patrols.attach_entry_photo(
            worker=request.user, entry=entry, photo=request.FILES.get("photo"), now=timezone.now()
        )
        return Response(s.EntryPhotoSerializer(stored).data, status=201 if created else 200)
