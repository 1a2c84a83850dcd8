from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gongzhi.accounts import views as account_views

api_patterns = [
    path("territory/", include("gongzhi.territory.api.urls")),
    path("accounts/", include("gongzhi.accounts.api.urls")),
    path("population/", include("gongzhi.population.api.urls")),
    path("care/", include("gongzhi.care.api.urls")),
    path("party/", include("gongzhi.party.api.urls")),
    path("cases/", include("gongzhi.cases.api.urls")),
    path("grids/", include("gongzhi.grids.api.urls")),
    path("command/", include("gongzhi.command.api.urls")),
    path("audit/", include("gongzhi.core.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="api-docs"),
]

urlpatterns = [
    path("", account_views.HomeView.as_view(), name="home"),
    path("accounts/", include("gongzhi.accounts.urls")),
    path("territory/", include("gongzhi.territory.urls")),
    path("population/", include("gongzhi.population.urls")),
    path("care/", include("gongzhi.care.urls")),
    path("party/", include("gongzhi.party.urls")),
    path("cases/", include("gongzhi.cases.urls")),
    path("grids/", include("gongzhi.grids.urls")),
    path("command/", include("gongzhi.command.urls")),
    path("assessment/", include("gongzhi.assessment.urls")),
    path("open311/v2/", include("gongzhi.open311.urls")),
    path("audit/", include("gongzhi.core.urls")),
    path("api/", include(api_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "gongzhi.core.views_errors.bad_request"
handler403 = "gongzhi.core.views_errors.permission_denied"
handler404 = "gongzhi.core.views_errors.page_not_found"
handler500 = "gongzhi.core.views_errors.server_error"
