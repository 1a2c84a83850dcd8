"""The organisation tree of a scope, built in memory from a few grouped queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import rules
from .choices import OrgKind, PartyRoleKind
from .models import PartyMember, PartyOrganisation, PartyRole

# Party groups are listed in the tree up to this many organisations in scope (a community or a
# street); above it (a whole district) they are counted on their branch and listed on its page.
GROUPS_IN_TREE_UP_TO = 300
KIND_ORDER = {kind: i for i, kind in enumerate(OrgKind.values)}
KIND_BADGE = {
    OrgKind.DISTRICT_COMMITTEE: "bg-red text-red-fg",
    OrgKind.STREET_COMMITTEE: "bg-red text-red-fg",
    OrgKind.COMMUNITY_COMMITTEE: "bg-red-lt",
    OrgKind.COMMUNITY_GENERAL_BRANCH: "bg-red-lt",
    OrgKind.COMMUNITY_BRANCH: "bg-red-lt",
    OrgKind.COMPOUND_BRANCH: "bg-orange-lt",
    OrgKind.GRID_BRANCH: "bg-blue-lt",
    OrgKind.JOINT_BRANCH: "bg-purple-lt",
    OrgKind.FUNCTIONAL_BRANCH: "bg-cyan-lt",
    OrgKind.BUILDING_GROUP: "bg-secondary-lt",
}


@dataclass
class TreeNode:
    org: PartyOrganisation
    members: int = 0
    groups: int = 0
    buildings: int = 0
    secretary: str = ""
    children: list[TreeNode] = field(default_factory=list)
    total: int = 0
    gaps: int | None = None
    depth: int = 0

    @property
    def is_group(self) -> bool:
        return self.org.kind == OrgKind.BUILDING_GROUP

    @property
    def badge(self) -> str:
        return KIND_BADGE[OrgKind(self.org.kind)]

    @property
    def size(self) -> int:
        return 1 + sum(child.size for child in self.children)


def _counts(queryset, key: str) -> dict[int, int]:
    return dict(queryset.order_by().values_list(key).annotate(n=Count("*")))


def decorate(user, orgs: list[PartyOrganisation]) -> list[TreeNode]:
    """Nodes (without children) for `orgs`, with their figures (5 queries whatever their number).

    A branch's members are those in it; a party group's are the members living in its buildings
    (members belong to branches, and meet in the group of their building).
    """
    ids = [o.pk for o in orgs]
    group_ids = [o.pk for o in orgs if o.kind == OrgKind.BUILDING_GROUP]
    members = _counts(PartyMember.objects.restrict(user).filter(organisation__in=ids), "organisation_id")
    members.update(
        _counts(
            PartyMember.objects.restrict(user).filter(building__party_groups__in=group_ids), "building__party_groups"
        )
    )
    groups = _counts(
        PartyOrganisation.objects.restrict(user).filter(kind=OrgKind.BUILDING_GROUP, parent__in=ids), "parent_id"
    )
    buildings = _counts(
        PartyOrganisation.buildings.through.objects.filter(partyorganisation__in=group_ids), "partyorganisation_id"
    )
    leaders = dict(
        PartyRole.objects.filter(
            role__in=[PartyRoleKind.SECRETARY, PartyRoleKind.GROUP_LEADER], organisation__in=ids
        ).values_list("organisation_id", "member__name")
    )
    return [
        TreeNode(
            org=o,
            members=members.get(o.pk, 0),
            groups=groups.get(o.pk, 0),
            buildings=buildings.get(o.pk, 0),
            secretary=leaders.get(o.pk, ""),
        )
        for o in orgs
    ]


def sort_key(node: TreeNode) -> tuple[int, str, int]:
    return (KIND_ORDER[node.org.kind], node.org.name, node.org.pk)


def build(user, community_gaps: dict[int, int] | None = None) -> list[TreeNode]:
    """The organisations in the user's scope as a forest.

    Roots are the organisations whose parent the user cannot see. `total` sums the members of a
    node and of the organisations below it (a group's members are already its branch's, so groups
    add nothing); `gaps` is set on community-level organisations from `community_gaps`.
    """
    orgs = list(PartyOrganisation.objects.restrict(user).order_by("pk"))
    if len(orgs) > GROUPS_IN_TREE_UP_TO:
        orgs = [o for o in orgs if o.kind != OrgKind.BUILDING_GROUP]
    nodes = {n.org.pk: n for n in decorate(user, orgs)}
    roots: list[TreeNode] = []
    children: dict[int, list[TreeNode]] = defaultdict(list)
    for node in nodes.values():
        parent_id = node.org.parent_id
        if parent_id in nodes:
            children[parent_id].append(node)
        else:
            roots.append(node)

    def finish(node: TreeNode, depth: int) -> int:
        node.depth = depth
        node.children = sorted(children[node.org.pk], key=sort_key)
        below = sum(finish(child, depth + 1) for child in node.children)
        node.total = node.members + below
        if community_gaps is not None and node.org.kind in rules.COMMUNITY_KINDS:
            node.gaps = community_gaps.get(node.org.community_id or 0, 0)
        return 0 if node.is_group else node.total

    for root in roots:
        finish(root, 0)
    return sorted(roots, key=sort_key)


def walk(nodes: list[TreeNode]):
    """Every node of a forest, depth first."""
    for node in nodes:
        yield node
        yield from walk(node.children)


def _meta(node: TreeNode) -> str:
    """The grey line after a node's name (built here: a template tag per node is slow at 500 nodes)."""
    parts = []
    if node.is_group:
        if node.secretary:
            parts.append(_("组长 %(name)s") % {"name": node.secretary})
        parts.append(ngettext("楼栋 %(n)s 栋", "楼栋 %(n)s 栋", node.buildings) % {"n": node.buildings})
        parts.append(ngettext("居住党员 %(n)s 名", "居住党员 %(n)s 名", node.members) % {"n": node.members})
        return " · ".join(parts)
    if node.secretary:
        parts.append(_("书记 %(name)s") % {"name": node.secretary})
    members = ngettext("党员 %(n)s 名", "党员 %(n)s 名", node.members) % {"n": intcomma(node.members)}
    if node.total != node.members:
        members += _("（含下级共 %(total)s 名）") % {"total": intcomma(node.total)}
    parts.append(members)
    if node.groups:
        parts.append(ngettext("党小组 %(n)s 个", "党小组 %(n)s 个", node.groups) % {"n": node.groups})
    return " · ".join(parts)


def flatten(roots: list[TreeNode]) -> list[dict]:
    """The forest as one list for a single template loop (no include per node): each item is a
    node, its display strings, and `closes`, the enclosing nodes that end right after it."""
    items: list[dict] = []
    labels = {kind: str(kind.label) for kind in OrgKind}
    prefix = reverse("party:organisation", args=[0])[: -len("0/")]

    def visit(node: TreeNode) -> None:
        items.append(
            {
                "node": node,
                "kind_label": labels[OrgKind(node.org.kind)],
                "url": f"{prefix}{node.org.pk}/",
                "meta": _meta(node),
                "gaps_label": ngettext("覆盖缺口 %(n)s 处", "覆盖缺口 %(n)s 处", node.gaps) % {"n": node.gaps}
                if node.gaps
                else "",
                "closes": [],
            }
        )
        for child in node.children:
            visit(child)
        if node.children:
            items[-1]["closes"].append(node)

    for root in roots:
        visit(root)
    return items
