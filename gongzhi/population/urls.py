from django.urls import path

from . import views

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
]
