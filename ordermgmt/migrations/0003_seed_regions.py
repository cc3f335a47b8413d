import datetime

from django.db import migrations

# The handbook's regional support model. EMEA's "GMT" is taken literally: UTC+0 all year (Etc/GMT).
REGIONS = [
    ("AMER", "AMER / LATAM", "America/Los_Angeles", datetime.time(7, 0), datetime.time(17, 0), "US", ""),
    ("EMEA", "EMEA", "Etc/GMT", datetime.time(8, 0), datetime.time(17, 0), "GB", "ENG"),
    ("APAC", "APAC", "Asia/Manila", datetime.time(9, 0), datetime.time(18, 0), "PH", ""),
]


def seed(apps, schema_editor):
    Region = apps.get_model("ordermgmt", "Region")
    for code, name, tz, start, end, country, subdivision in REGIONS:
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "timezone": tz,
                "support_start": start,
                "support_end": end,
                "cutoff": datetime.time(16, 30),
                "holiday_country": country,
                "holiday_subdivision": subdivision,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("ordermgmt", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
