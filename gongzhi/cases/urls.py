"""Case pages: the desk (lists, a case with its timeline and moves, the whistle) in views.py; the
ways in (grid worker's phone page, resident portal, hotline form, courtyard-meeting batch entry)
in intake_views.py; the rates in rates_views.py."""

from . import intake_views, link_views, rates_views, views

app_name = "cases"
urlpatterns = [*views.urlpatterns, *intake_views.urlpatterns, *rates_views.urlpatterns, *link_views.urlpatterns]
