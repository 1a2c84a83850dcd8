"""The grid map: measures, drill-down and boundary editing."""

from django.urls import path

from . import map_views

urlpatterns = [
    path("", map_views.GridMapView.as_view(), name="map"),
    path("community/<int:pk>/edit/", map_views.BoundaryEditView.as_view(), name="map-edit"),
]
