from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import VIEWSETS, ResolveView

PLURAL = {
    "district": "districts",
    "street": "streets",
    "community": "communities",
    "grid": "grids",
    "compound": "compounds",
    "building": "buildings",
}

router = SimpleRouter()
for level, viewset in VIEWSETS.items():
    router.register(PLURAL[level], viewset, basename=f"territory-{level}")

urlpatterns = [path("resolve/", ResolveView.as_view(), name="territory-resolve"), *router.urls]
