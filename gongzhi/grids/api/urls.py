from django.urls import include, path

urlpatterns = [
    path("patrols/", include("gongzhi.grids.api.patrol_urls")),
    path("map/", include("gongzhi.grids.api.map_urls")),
]
