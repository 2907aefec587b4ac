from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("guestbook", "0002_welcome_entry"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="attachment",
            field=models.FileField(blank=True, upload_to="attachments/%Y/%m/"),
        ),
    ]
