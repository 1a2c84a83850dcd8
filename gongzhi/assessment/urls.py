from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.ScorecardView.as_view(), name="scorecards"),
    path("ranking/", views.RankingView.as_view(), name="ranking"),
    path("report/", views.ReportView.as_view(), name="report"),
]
