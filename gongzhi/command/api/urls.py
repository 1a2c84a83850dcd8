"""The command centre's data under /api/command/ (url names "command-<resource>")."""

from django.urls import path

from . import views

urlpatterns = [
    path("summary/", views.SummaryView.as_view(), name="command-summary"),
    path("map/", views.MapView.as_view(), name="command-map"),
    path("charts/", views.ChartsView.as_view(), name="command-charts"),
    path("feed/", views.FeedView.as_view(), name="command-feed"),
]
