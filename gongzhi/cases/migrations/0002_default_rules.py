from django.db import migrations


def load(apps, schema_editor):
    from gongzhi.cases.defaults import DEFAULT_RULES

    RoutingRule = apps.get_model("cases", "RoutingRule")
    RoutingRule.objects.bulk_create(
        RoutingRule(
            category=str(category), property_management=pm, owners_organisation=oo, body_kind=str(kind),
            tier=str(tier), note=note,
        )
        for category, pm, oo, kind, tier, note in DEFAULT_RULES
    )


def unload(apps, schema_editor):
    apps.get_model("cases", "RoutingRule").objects.filter(district=None, street=None, community=None, body=None).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
