from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [
    path("", views.TerritoryRootView.as_view(), name="root"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("map/", views.MapView.as_view(), name="map"),
    path("<str:level>/<int:pk>/", views.NodeView.as_view(), name="node"),
]
