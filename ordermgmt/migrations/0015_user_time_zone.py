from django.db import migrations, models

import ordermgmt.models.regions


class Migration(migrations.Migration):
    dependencies = [
        ("ordermgmt", "0014_notification_emailed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="IANA time zone the pages show and read times in; blank: the region's (no region: UTC).",
                max_length=64,
                validators=[ordermgmt.models.regions.validate_timezone],
            ),
        ),
    ]
