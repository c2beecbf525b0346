"""Notification mail per kind (at once, daily digest, never) replaces the single on/off switch.

People who had turned notification mail off keep it off for every kind ({"*": "never"});
everyone else gets each kind's default.
"""

from django.db import migrations, models


def carry_switch_over(apps, schema_editor):
    Profile = apps.get_model("portal", "Profile")
    Profile.objects.filter(notify_by_email=False).update(mail_preferences={"*": "never"})


def carry_switch_back(apps, schema_editor):
    Profile = apps.get_model("portal", "Profile")
    Profile.objects.filter(mail_preferences__contains={"*": "never"}).update(
        notify_by_email=False
    )


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_apitoken_scope_expiry")]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="mail_preferences",
            field=models.JSONField(blank=True, default=dict, verbose_name="notification e-mail"),
        ),
        migrations.RunPython(carry_switch_over, carry_switch_back),
        migrations.RemoveField(model_name="profile", name="notify_by_email"),
        migrations.AddField(
            model_name="notification",
            name="kind",
            field=models.CharField(blank=True, max_length=30, verbose_name="kind"),
        ),
        migrations.AddField(
            model_name="notification",
            name="excerpt",
            field=models.TextField(blank=True, verbose_name="excerpt"),
        ),
        migrations.AddField(
            model_name="notification",
            name="digest_due",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="notification",
            name="digested_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("digest_due", True)),
                fields=["recipient", "created_at"],
                name="notification_digest_due",
            ),
        ),
    ]
