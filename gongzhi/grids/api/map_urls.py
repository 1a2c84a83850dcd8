from django.urls import path

from . import map_views

urlpatterns = [
    path("", map_views.GridMapView.as_view(), name="grids-map"),
    path(
        "community/<int:pk>/boundaries/",
        map_views.CommunityBoundariesView.as_view(),
        name="grids-map-boundaries",
    ),
]
