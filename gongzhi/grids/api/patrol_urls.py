"""The patrol API under /api/grids/patrols/ (url names "grids-patrol-<resource>")."""

from django.urls import path

from . import patrol_views as views

urlpatterns = [
    path("", views.PatrolListView.as_view(), name="grids-patrol-list"),
    path("<uuid:client_id>/", views.PatrolDetailView.as_view(), name="grids-patrol-detail"),
    path(
        "<uuid:client_id>/entries/<uuid:entry_client_id>/photo/",
        views.EntryPhotoView.as_view(),
        name="grids-patrol-entry-photo",
    ),
]
