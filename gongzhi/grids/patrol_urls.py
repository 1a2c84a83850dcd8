"""Patrol pages (日巡查、日走访)."""

from django.urls import path

from . import patrol_views as views

urlpatterns = [
    path("", views.PatrolListView.as_view(), name="patrol-list"),
    path("walk/", views.WalkView.as_view(), name="patrol-walk"),
    path("hours/", views.PatrolHoursView.as_view(), name="patrol-hours"),
    path("<int:pk>/", views.PatrolDetailView.as_view(), name="patrol-detail"),
]
