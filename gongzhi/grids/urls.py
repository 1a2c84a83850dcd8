from django.urls import include, path

from . import views

app_name = "grids"
urlpatterns = [
    path("", views.GridHomeView.as_view(), name="home"),
    path("standard/", views.StandardReportView.as_view(), name="standard"),
    path("staffing/", views.StaffingView.as_view(), name="staffing"),
    path("staffing/<int:grid>/", views.GridStaffView.as_view(), name="grid-staff"),
    path("division/<int:community>/", views.DivisionView.as_view(), name="division"),
    path("division/<int:community>/current.geojson", views.DivisionGeoJSONView.as_view(), name="division-geojson"),
    path("patrols/", include("gongzhi.grids.patrol_urls")),
    path("map/", include("gongzhi.grids.map_urls")),
]
