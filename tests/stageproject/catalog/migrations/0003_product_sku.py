"""Non-atomic: each step commits on its own, so a race could leave it half done."""

from django.db import migrations, models


def starter_products(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Product = apps.get_model("catalog", "Product")
    alias = schema_editor.connection.alias
    for category in Category.objects.using(alias).order_by("pk"):
        Product.objects.using(alias).create(
            category=category, name=f"Starter {category.name}", sku=f"START-{category.pk}"
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("catalog", "0002_seed_categories")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="sku",
            field=models.CharField(max_length=20, null=True, unique=True),
        ),
        migrations.RunPython(starter_products, migrations.RunPython.noop),
    ]
