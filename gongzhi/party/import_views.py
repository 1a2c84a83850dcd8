"""党员名册 import pages: the ledger import pages of the population area, for the party roll."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from gongzhi.accounts.roles import PARTY_CHANGE
from gongzhi.population import import_views as pages
from gongzhi.population.choices import ImportKind

from .imports import TEMPLATE_EXAMPLE, TEMPLATE_HEADERS


class PartyImportPages(pages.ImportPages):
    kind = ImportKind.PARTY_MEMBERS
    permission = PARTY_CHANGE
    namespace = "party"
    title = gettext_lazy("导入党员名册")


class ImportListView(PartyImportPages, pages.ImportListView):
    pass


class ImportDetailView(PartyImportPages, pages.ImportDetailView):
    pass


class ImportActionView(PartyImportPages, pages.ImportActionView):
    pass


class ImportTemplateView(PartyImportPages, pages.ImportTemplateView):
    headers = TEMPLATE_HEADERS
    example = TEMPLATE_EXAMPLE
    sheet_title = gettext_lazy("党员名册")
    filename = "party-roll-template.xlsx"


class ImportErrorsView(PartyImportPages, pages.ImportErrorsView):
    pass
