"""Which body should handle a case: the routing rule table applied to a case's place.

A rule matches a case when its category is the case's, its territory (if any) contains the case,
and its compound conditions (if any) hold for the case's compound. Matching rules are ordered by
specificity — community > street > district > everywhere, then the number of compound
conditions — and, among equals, by tier, lowest first (微事不出格、小事不出社区、大事不出街道). The
first rule whose target can be found near the case wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from . import cache
from .choices import TIER_ORDER, BodyKind, Tier
from .models import HandlingBody, RoutingRule


@dataclass(frozen=True)
class Place:
    """Where a case is, as routing sees it."""

    district_id: int
    street_id: int
    community_id: int
    grid_id: int
    compound_id: int | None = None
    property_management: str = ""
    owners_organisation: str = ""

    @classmethod
    def of(cls, case) -> Place:
        compound = case.compound
        return cls(
            district_id=case.district_id,
            street_id=case.street_id,
            community_id=case.community_id,
            grid_id=case.grid_id,
            compound_id=case.compound_id,
            property_management=compound.property_management if compound else "",
            owners_organisation=compound.owners_organisation if compound else "",
        )


def _specificity(rule: RoutingRule) -> tuple[int, int, int]:
    depth = 3 if rule.community_id else 2 if rule.street_id else 1 if rule.district_id else 0
    conditions = int(bool(rule.property_management)) + int(bool(rule.owners_organisation))
    return (-depth, -conditions, TIER_ORDER.index(Tier(_tier(rule))))


def _tier(rule: RoutingRule) -> str:
    return rule.body.tier if rule.body is not None else rule.tier


def _rules(category: str) -> list[RoutingRule]:
    def build():
        table: dict[str, list[RoutingRule]] = {}
        for rule in RoutingRule.objects.select_related("body").order_by("pk"):
            table.setdefault(rule.category, []).append(rule)
        return table

    return cache.cached("routing_rules", build).get(category, [])


def matching_rules(category: str, place: Place, tier: str | None = None) -> list[RoutingRule]:
    """Rules that apply to a case of `category` at `place`, best first (optionally only one tier)."""
    rules = []
    for rule in _rules(category):
        if rule.district_id not in (None, place.district_id):
            continue
        if rule.street_id not in (None, place.street_id):
            continue
        if rule.community_id not in (None, place.community_id):
            continue
        if rule.property_management and rule.property_management != place.property_management:
            continue
        if rule.owners_organisation and rule.owners_organisation != place.owners_organisation:
            continue
        if rule.body is not None and not rule.body.is_active:
            continue
        if tier is not None and _tier(rule) != tier:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: (*_specificity(r), r.pk))


def nearby_bodies(place: Place, tier: str | None = None, kind: str | None = None):
    """Active bodies that serve the case's place: its grid's, community's, street's, district's."""
    qs = HandlingBody.objects.filter(is_active=True, district_id=place.district_id).filter(
        Q(tier=Tier.DISTRICT)
        | Q(tier=Tier.STREET, street_id=place.street_id)
        | Q(tier=Tier.COMMUNITY, community_id=place.community_id)
        | Q(tier=Tier.GRID, grid_id=place.grid_id)
    )
    if tier:
        qs = qs.filter(tier=tier)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def _bodies() -> dict[tuple[str, str, int], list[tuple[HandlingBody, frozenset[int]]]]:
    """Active bodies by (tier, kind, id of the node they serve), lowest pk first, with the
    compounds each serves."""

    def build():
        served: dict[int, set[int]] = {}
        for body_id, compound_id in HandlingBody.compounds.through.objects.values_list(
            "handlingbody_id", "compound_id"
        ):
            served.setdefault(body_id, set()).add(compound_id)
        table: dict[tuple[str, str, int], list[tuple[HandlingBody, frozenset[int]]]] = {}
        node = {
            Tier.DISTRICT: "district_id",
            Tier.STREET: "street_id",
            Tier.COMMUNITY: "community_id",
            Tier.GRID: "grid_id",
        }
        for body in HandlingBody.objects.filter(is_active=True).order_by("pk"):
            key = (body.tier, body.kind, getattr(body, node[Tier(body.tier)]))
            table.setdefault(key, []).append((body, frozenset(served.get(body.pk, ()))))
        return table

    return cache.cached("bodies", build)


def resolve_target(rule: RoutingRule, place: Place) -> HandlingBody | None:
    if rule.body is not None:
        return rule.body
    node = {Tier.DISTRICT: place.district_id, Tier.STREET: place.street_id, Tier.COMMUNITY: place.community_id,
            Tier.GRID: place.grid_id}[Tier(rule.tier)]  # fmt: skip
    for body, compounds in _bodies().get((rule.tier, rule.body_kind, node), []):
        if rule.body_kind == BodyKind.PROPERTY_COMPANY and place.compound_id not in compounds:
            continue  # the company that manages this compound, not any company of the community
        return body
    return None


def route(category: str, place: Place, tier: str | None = None) -> tuple[HandlingBody | None, RoutingRule | None]:
    """The body the rules send a case to (and the rule that decided), or (None, None)."""
    for rule in matching_rules(category, place, tier):
        body = resolve_target(rule, place)
        if body is not None:
            return body, rule
    return None, None


def route_upward(category: str, place: Place, above: str) -> tuple[HandlingBody | None, RoutingRule | None]:
    """After an escalation: the best rule at the first tier above `above` that finds a body; failing
    any rule, the comprehensive body of that tier (residents' committee, street service centre)."""
    start = TIER_ORDER.index(Tier(above)) + 1
    for tier in TIER_ORDER[start:]:
        body, rule = route(category, place, tier)
        if body is not None:
            return body, rule
        fallback = nearby_bodies(place, tier).order_by("pk").first()
        if fallback is not None:
            return fallback, None
    return None, None
