"""A data migration: the rows must be written exactly once, however many instances stage."""

from django.db import migrations

CATEGORIES = ["Books", "Music", "Games"]


def seed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    for name in CATEGORIES:
        Category.objects.using(schema_editor.connection.alias).create(name=name)


def unseed(apps, schema_editor):
    Category = apps.get_model("catalog", "Category")
    Category.objects.using(schema_editor.connection.alias).filter(name__in=CATEGORIES).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
