from django.urls import path

from . import views

app_name = "care"
urlpatterns = [
    path("", views.CareListView.as_view(), name="list"),
    path("<int:pk>/", views.CareDetailView.as_view(), name="detail"),
    path("<int:pk>/visits/", views.RecordVisitView.as_view(), name="visit"),
    path("follow-ups/<int:pk>/close/", views.CloseFollowUpView.as_view(), name="follow-up-close"),
    path("grids/<int:grid>/print/", views.PrintGridView.as_view(), name="print"),
    path("new/<int:resident>/", views.OpenProfileView.as_view(), name="open"),
    path("<int:pk>/contacts/", views.AddContactView.as_view(), name="add-contact"),
]
