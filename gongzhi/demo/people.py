"""Realistic, synthetic Chinese personal data: names, ID numbers (GB 11643), mobile numbers."""

from __future__ import annotations

import datetime
import random

from gongzhi.population.identity import id_checksum

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Rough frequency weights: the first surnames are far more common.
SURNAME_WEIGHTS = [max(1.0, 30 - i * 0.6) for i in range(len(SURNAMES))]
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国志军文博海峰晨睿子轩浩然宇航"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英华慧巧美琳玲婷雪红梅燕萍倩颖洁琪欣悦佳怡涵诗雨梓萱思彤可馨"
# 户籍地: mostly local (the demo district), the rest from provinces that send many migrants.
REGIONS = ["330199"] * 12 + ["330106", "330382", "341222", "410526", "511321", "362330", "430524", "522101", "130623"]
MOBILE_PREFIXES = [
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "177",
    "180",
    "186",
    "187",
    "188",
    "189",
    "199",
]


class PeopleFactory:
    """Deterministic generator of people; ID numbers are unique across one factory."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._ids: set[str] = set()

    def name(self, gender: str) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        chars = MALE_CHARS if gender == "male" else FEMALE_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
        return surname + given

    def id_number(self, birth: datetime.date, gender: str) -> str:
        rng = self.rng
        while True:
            region = rng.choice(REGIONS)
            seq = rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            number = first17 + id_checksum(first17)
            if number not in self._ids:
                self._ids.add(number)
                return number

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def birth_date(self, age: int, today: datetime.date) -> datetime.date:
        year = today.year - age
        return datetime.date(year, 1, 1) + datetime.timedelta(days=self.rng.randrange(365))
