from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_squashed_0002_order_note")]

    operations = [
        migrations.AddField(model_name="order", name="paid", field=models.BooleanField(default=False)),
    ]
