from django.urls import path

from . import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.ChangeListView.as_view(), name="list"),
    path("<int:pk>/", audit_views.ChangeDetailView.as_view(), name="detail"),
]
