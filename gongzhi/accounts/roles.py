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
PARTY_VIEW = "party.view"
PARTY_CHANGE = "party.change"
# Personal information (个人信息保护法): full values and health status are separate permissions.
POPULATION_REVEAL_PHONE = "population.reveal_phone"
POPULATION_REVEAL_ID = "population.reveal_id"
POPULATION_HEALTH = "population.view_health"
_PERSONAL = {POPULATION_REVEAL_PHONE, POPULATION_REVEAL_ID, POPULATION_HEALTH}

_STAFF_VIEW = {TERRITORY_VIEW, POPULATION_VIEW}
_ADMIN = {TERRITORY_CHANGE, POPULATION_CHANGE, AUDIT_VIEW}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(_STAFF_VIEW | _PERSONAL | _ADMIN),
    Role.STREET_ADMIN: frozenset(_STAFF_VIEW | _PERSONAL | _ADMIN),
    Role.DISPATCHER: frozenset(_STAFF_VIEW | {POPULATION_REVEAL_PHONE}),
    Role.COMMUNITY_WORKER: frozenset(_STAFF_VIEW | _PERSONAL | {POPULATION_CHANGE, AUDIT_VIEW}),
    Role.GRID_WORKER: frozenset(_STAFF_VIEW | {POPULATION_CHANGE, POPULATION_REVEAL_PHONE, POPULATION_HEALTH}),
    Role.HANDLER: frozenset({TERRITORY_VIEW}),
    Role.PARTY_MEMBER: frozenset({TERRITORY_VIEW}),
    Role.BUILDING_HEAD: frozenset({TERRITORY_VIEW}),
    Role.RESIDENT: frozenset(),
    Role.PARTNER: frozenset(),
}

# The party organisation (gongzhi.party): who sees the tree, members and coverage, who changes them.
_PARTY_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({PARTY_VIEW, PARTY_CHANGE}),
    Role.STREET_ADMIN: frozenset({PARTY_VIEW, PARTY_CHANGE}),
    Role.COMMUNITY_WORKER: frozenset({PARTY_VIEW, PARTY_CHANGE}),
    Role.GRID_WORKER: frozenset({PARTY_VIEW}),
    Role.PARTY_MEMBER: frozenset({PARTY_VIEW}),
    Role.BUILDING_HEAD: frozenset({PARTY_VIEW}),
}
ROLE_PERMISSIONS = {role: perms | _PARTY_PERMISSIONS.get(role, frozenset()) for role, perms in ROLE_PERMISSIONS.items()}

# Care files (gongzhi.care): staff of the territory; paired party members see their own pairs.
CARE_VIEW = "care.view"
CARE_CHANGE = "care.change"
_CARE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({CARE_VIEW, CARE_CHANGE}),
    Role.STREET_ADMIN: frozenset({CARE_VIEW, CARE_CHANGE}),
    Role.COMMUNITY_WORKER: frozenset({CARE_VIEW, CARE_CHANGE}),
    Role.GRID_WORKER: frozenset({CARE_VIEW, CARE_CHANGE}),
}
ROLE_PERMISSIONS = {role: perms | _CARE_PERMISSIONS.get(role, frozenset()) for role, perms in ROLE_PERMISSIONS.items()}

# The closed loop of residents' matters (gongzhi.cases). Handlers see what is dispatched to their
# bodies and residents their own cases without a territory permission (see cases.services.visible_cases).
CASES_VIEW = "cases.view"
CASES_REPORT = "cases.report"
CASES_DISPATCH = "cases.dispatch"
CASES_VERIFY = "cases.verify"
CASES_WHISTLE = "cases.whistle"
CASES_ADMIN = "cases.admin"
_CASES_STAFF = {CASES_VIEW, CASES_REPORT}
_CASES_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(_CASES_STAFF | {CASES_DISPATCH, CASES_VERIFY, CASES_WHISTLE, CASES_ADMIN}),
    Role.STREET_ADMIN: frozenset(_CASES_STAFF | {CASES_DISPATCH, CASES_VERIFY, CASES_WHISTLE, CASES_ADMIN}),
    Role.DISPATCHER: frozenset(_CASES_STAFF | {CASES_DISPATCH, CASES_VERIFY, CASES_WHISTLE}),
    Role.COMMUNITY_WORKER: frozenset(_CASES_STAFF | {CASES_DISPATCH, CASES_VERIFY, CASES_WHISTLE}),
    Role.GRID_WORKER: frozenset(_CASES_STAFF | {CASES_VERIFY}),
    Role.BUILDING_HEAD: frozenset({CASES_REPORT}),
}
ROLE_PERMISSIONS = {role: perms | _CASES_PERMISSIONS.get(role, frozenset()) for role, perms in ROLE_PERMISSIONS.items()}

# Grid management (gongzhi.grids): who patrols, who staffs grids, who redraws them.
GRIDS_PATROL = "grids.patrol"
GRIDS_STAFF = "grids.staff"
GRIDS_DIVIDE = "grids.divide"
_GRIDS_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({GRIDS_STAFF, GRIDS_DIVIDE}),
    Role.STREET_ADMIN: frozenset({GRIDS_STAFF, GRIDS_DIVIDE}),
    Role.COMMUNITY_WORKER: frozenset({GRIDS_PATROL, GRIDS_STAFF}),
    Role.GRID_WORKER: frozenset({GRIDS_PATROL}),
}
ROLE_PERMISSIONS = {role: perms | _GRIDS_PERMISSIONS.get(role, frozenset()) for role, perms in ROLE_PERMISSIONS.items()}

# Assessment (gongzhi.assessment): who reads the scorecards and the ranking board, who computes and closes months.
ASSESSMENT_VIEW = "assessment.view"
ASSESSMENT_ADMIN = "assessment.admin"
_ASSESSMENT_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({ASSESSMENT_VIEW, ASSESSMENT_ADMIN}),
    Role.STREET_ADMIN: frozenset({ASSESSMENT_VIEW}),
    Role.DISPATCHER: frozenset({ASSESSMENT_VIEW}),
    Role.COMMUNITY_WORKER: frozenset({ASSESSMENT_VIEW}),
    Role.GRID_WORKER: frozenset({ASSESSMENT_VIEW}),
}
ROLE_PERMISSIONS = {
    role: perms | _ASSESSMENT_PERMISSIONS.get(role, frozenset()) for role, perms in ROLE_PERMISSIONS.items()
}
