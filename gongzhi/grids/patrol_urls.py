"""Patrol pages (日巡查、日走访)."""

urlpatterns: list = []
