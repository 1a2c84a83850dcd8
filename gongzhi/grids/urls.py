from django.urls import include, path

from . import views

app_name = "grids"
urlpatterns = [
    path("", views.GridHomeView.as_view(), name="home"),
    path("standard/", views.StandardReportView.as_view(), name="standard"),
    path("staffing/", views.StaffingView.as_view(), name="staffing"),
    path("division/<int:community>/", views.DivisionView.as_view(), name="division"),
    path("patrols/", include("gongzhi.grids.patrol_urls")),
    path("map/", include("gongzhi.grids.map_urls")),
]
