"""What each role may do. Scope (where) comes from the user's assignments; this table says what.

Permissions are "<area>.<action>" strings; `ScopedQuerySet.restrict(user, action)` checks
"<Model.scope_app>.<action>".
"""

from .choices import Role

TERRITORY_VIEW = "territory.view"
TERRITORY_CHANGE = "territory.change"
POPULATION_VIEW = "population.view"
POPULATION_CHANGE = "population.change"
AUDIT_VIEW = "audit.view"

_STAFF_VIEW = {TERRITORY_VIEW, POPULATION_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(_STAFF_VIEW | {TERRITORY_CHANGE, POPULATION_CHANGE, AUDIT_VIEW}),
    Role.STREET_ADMIN: frozenset(_STAFF_VIEW | {TERRITORY_CHANGE, POPULATION_CHANGE, AUDIT_VIEW}),
    Role.DISPATCHER: frozenset(_STAFF_VIEW),
    Role.COMMUNITY_WORKER: frozenset(_STAFF_VIEW | {POPULATION_CHANGE, AUDIT_VIEW}),
    Role.GRID_WORKER: frozenset(_STAFF_VIEW | {POPULATION_CHANGE}),
    Role.HANDLER: frozenset({TERRITORY_VIEW}),
    Role.PARTY_MEMBER: frozenset({TERRITORY_VIEW}),
    Role.BUILDING_HEAD: frozenset({TERRITORY_VIEW}),
    Role.RESIDENT: frozenset(),
    Role.PARTNER: frozenset(),
}
