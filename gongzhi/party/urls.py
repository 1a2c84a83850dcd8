from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.TreeView.as_view(), name="tree"),
    path("org/<int:pk>/", views.OrganisationView.as_view(), name="organisation"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("members/", views.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/", views.MemberView.as_view(), name="member"),
    path("report-ins/", views.ReportInListView.as_view(), name="report_ins"),
]
