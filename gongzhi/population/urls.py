from django.urls import path

from . import import_views, views

app_name = "population"
urlpatterns = [
    path("residents/", views.ResidentListView.as_view(), name="residents"),
    path("residents/<int:pk>/", views.ResidentDetailView.as_view(), name="resident"),
    path("residents/<int:pk>/edit/", views.ResidentFormView.as_view(), name="resident-edit"),
    path("residents/<int:pk>/reveal/", views.RevealView.as_view(), name="reveal"),
    path("households/", views.HouseholdListView.as_view(), name="households"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household"),
    path("households/<int:household>/residents/new/", views.ResidentFormView.as_view(), name="resident-new"),
    path("reveals/", views.RevealLogView.as_view(), name="reveals"),
    path("imports/", import_views.ImportListView.as_view(), name="imports"),
    path("imports/template.xlsx", import_views.ImportTemplateView.as_view(), name="import-template"),
    path("imports/<int:pk>/", import_views.ImportDetailView.as_view(), name="import"),
    path("imports/<int:pk>/errors.xlsx", import_views.ImportErrorsView.as_view(), name="import-errors"),
    path("imports/<int:pk>/<str:verb>/", import_views.ImportActionView.as_view(), name="import-action"),
]
