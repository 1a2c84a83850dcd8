"""The grid map: measures, drill-down and boundary editing."""

urlpatterns: list = []
