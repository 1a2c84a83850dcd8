"""The command centre page."""

from django.urls import path

from . import views

app_name = "command"
urlpatterns = [path("", views.CommandCentreView.as_view(), name="centre")]
