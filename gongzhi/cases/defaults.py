"""The default routing table of DOMAIN.md (area 3): category → the kind of body that handles it,
by compound attributes where they matter. Loaded by a data migration as rules for everywhere;
districts, streets and communities add more specific rules on top."""

from .choices import BodyKind as K
from .choices import Category as C
from .choices import Tier as T

# (category, property_management condition, owners_organisation condition, body kind, tier, note)
DEFAULT_RULES: list[tuple[str, str, str, str, str, str]] = [
    (C.DISPUTE, "", "", K.MEDIATION, T.COMMUNITY, "邻里纠纷 → 人民调解委员会"),
    (C.FACILITY, "company", "", K.PROPERTY_COMPANY, T.COMMUNITY, "有物业：物业服务企业维修"),
    (C.FACILITY, "none", "self_management", K.OWNERS_COMMITTEE, T.COMMUNITY, "无物业有自管会：自管会"),
    (C.FACILITY, "", "", K.RESIDENTS_COMMITTEE, T.COMMUNITY, "无物业：社区"),
    (C.SANITATION, "company", "", K.PROPERTY_COMPANY, T.COMMUNITY, "小区内：物业服务企业"),
    (C.SANITATION, "", "", K.SANITATION, T.STREET, "环卫"),
    (C.PARKING, "company", "", K.PROPERTY_COMPANY, T.COMMUNITY, "小区内停车：物业服务企业"),
    (C.PARKING, "", "", K.POLICE, T.STREET, "道路停车与交通秩序：交警"),
    (C.FIRE_SAFETY, "", "", K.RESIDENTS_COMMITTEE, T.COMMUNITY, "社区先行处置，必要时吹哨消防/应急"),
    (C.PUBLIC_SECURITY, "", "", K.POLICE, T.STREET, "治安：派出所"),
    (C.PROPERTY_SERVICE, "", "", K.PROPERTY_OFFICE, T.STREET, "物业管理与业主自治：街道物业办"),
    (C.POLICY, "", "", K.SERVICE_CENTRE, T.STREET, "政策咨询：街道政务服务中心"),
    (C.WELFARE, "", "", K.SOCIAL_WORK, T.COMMUNITY, "民生帮扶：社区民政/社工站"),
    (C.URBAN_ORDER, "", "", K.ENFORCEMENT, T.STREET, "市容秩序：城管执法"),
    (C.RENOVATION, "", "", K.CONSTRUCTION_OFFICE, T.STREET, "改造提升：街道城建办"),
    (C.OTHER, "", "", K.RESIDENTS_COMMITTEE, T.COMMUNITY, "其他：社区"),
]
