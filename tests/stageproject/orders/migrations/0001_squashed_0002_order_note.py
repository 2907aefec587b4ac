"""A squashed migration whose replaced files are gone, as in many long-lived projects."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("orders", "0001_initial"), ("orders", "0002_order_note")]

    initial = True

    dependencies = [
        ("catalog", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.PositiveIntegerField(default=1)),
                ("note", models.TextField(blank=True)),
                ("product", models.ForeignKey(on_delete=models.deletion.PROTECT, to="catalog.product")),
                ("user", models.ForeignKey(null=True, on_delete=models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
