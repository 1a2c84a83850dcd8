"""`manage.py propose_grids COMMUNITY [--geojson FILE] [--all] [--save]`: propose divisions into grids."""

from __future__ import annotations

import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from gongzhi.grids import services
from gongzhi.territory.models import Community, Grid


class Command(BaseCommand):
    help = "为社区生成符合标准的网格划分方案（面积、户数上限取所在区的网格标准）。"

    def add_arguments(self, parser):
        parser.add_argument("community", nargs="*", help="社区统计用区划代码或名称")
        parser.add_argument("--all", action="store_true", help="全部社区")
        parser.add_argument("--geojson", metavar="FILE", help="把方案写成 GeoJSON FeatureCollection")
        parser.add_argument("--save", action="store_true", help="保存为待确认的方案（可在页面上查看、应用）")

    def handle(self, *args, **options):
        if options["all"]:
            communities = list(Community.objects.exclude(geometry=None).order_by("code"))
        elif options["community"]:
            communities = []
            for key in options["community"]:
                found = list(Community.objects.filter(Q(code=key) | Q(name=key)))
                if not found:
                    raise CommandError(f"找不到社区：{key}")
                communities.extend(found)
        else:
            raise CommandError("请给出社区代码或名称，或使用 --all。")
        features = []
        total = bound = 0
        worst = 0.0
        started = time.perf_counter()
        self.stdout.write(
            f"{'社区':<12}{'户数':>8}{'面积km²':>9}{'下界':>6}{'现有':>6}{'方案':>6}{'比值':>7}{'用时s':>7}"
        )
        for community in communities:
            t0 = time.perf_counter()
            try:
                if options["save"]:
                    proposal = services.propose_division(community, actor=None)
                    collection, lower, count = proposal.result, proposal.lower_bound, proposal.grid_count
                else:
                    result, buildings, current, _limits = services.compute_division(community)
                    collection = services.proposal_geojson(community, result, buildings, current)
                    lower, count = result.lower_bound, result.count
            except ValidationError as exc:
                self.stderr.write(f"{community.name}：{' '.join(exc.messages)}")
                continue
            elapsed = time.perf_counter() - t0
            households = sum(f["properties"]["households"] for f in collection["features"])
            current_count = Grid.objects.filter(community=community, retired_on__isnull=True).count()
            ratio = count / lower
            worst = max(worst, ratio)
            total += count
            bound += lower
            self.stdout.write(
                f"{community.name:<12}{households:>8}{community.area_km2 or 0:>9.2f}{lower:>6}{current_count:>6}"
                f"{count:>6}{ratio:>7.3f}{elapsed:>7.2f}"
            )
            for feature in collection["features"]:
                feature["properties"]["community_code"] = community.code
                features.append(feature)
        if len(communities) > 1:
            self.stdout.write(
                f"合计：{len(communities)} 个社区，方案 {total} 个网格，下界 {bound}，"
                f"总比值 {total / max(bound, 1):.3f}，最大比值 {worst:.3f}，用时 {time.perf_counter() - started:.1f} 秒"
            )
        if options["geojson"]:
            with open(options["geojson"], "w", encoding="utf-8") as fh:
                json.dump({"type": "FeatureCollection", "features": features}, fh, ensure_ascii=False)
            self.stdout.write(f"已写入 {options['geojson']}（{len(features)} 个网格）")
