"""The page behind the reporter's SMS link (reporter_link.py): no sign-in; one case's public
progress, and its rating or reopening by the reporter. An invalid or expired link is a 404."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from . import forms, reporter_link, services
from .intake_views import reporter_context, submit_reporter_form
from .models import Case


class ReporterLinkView(View):
    template_name = "cases/reporter_link.html"

    def case(self, token: str) -> Case:
        found = reporter_link.read_token(token)
        if found is None:
            raise Http404
        case = Case.objects.filter(pk=found[0]).first()
        if case is None or not case.reporter_phone_hash or not case.reporter_phone_hash.startswith(found[1]):
            raise Http404
        return case

    def actor(self, case: Case) -> services.ReporterLink:
        return services.ReporterLink(case.pk, _("反映人（短信链接）"))

    def render_page(self, token, case, *, rating=None, reopen=None, status=200):
        ctx = reporter_context(case, timezone.now(), rating=rating, reopen=reopen)
        action = reverse("cases:reporter-link", args=[token])
        ctx.update(rate_action=action, reopen_action=action, photos=False, token=token)
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, token):
        return self.render_page(token, self.case(token))

    def post(self, request, token):
        case = self.case(token)
        action = request.POST.get("action")
        if action in ("rate", "reopen"):
            form, done = submit_reporter_form(request, case, self.actor(case), action)
            if done:
                return redirect("cases:reporter-link", token=token)
        else:
            form = forms.ReopenForm(request.POST)
        if action == "rate":
            return self.render_page(token, case, rating=form, status=400)
        return self.render_page(token, case, reopen=form, status=400)


urlpatterns = [path("r/<str:token>/", ReporterLinkView.as_view(), name="reporter-link")]
