from django.urls import path

from . import import_views, views

app_name = "party"
urlpatterns = [
    path("", views.TreeView.as_view(), name="tree"),
    path("org/<int:pk>/", views.OrganisationView.as_view(), name="organisation"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("members/", views.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/", views.MemberView.as_view(), name="member"),
    path("report-ins/", views.ReportInListView.as_view(), name="report_ins"),
    path("imports/", import_views.ImportListView.as_view(), name="imports"),
    path("imports/template.xlsx", import_views.ImportTemplateView.as_view(), name="import-template"),
    path("imports/<int:pk>/", import_views.ImportDetailView.as_view(), name="import"),
    path("imports/<int:pk>/errors.xlsx", import_views.ImportErrorsView.as_view(), name="import-errors"),
    path("imports/<int:pk>/<str:verb>/", import_views.ImportActionView.as_view(), name="import-action"),
]
