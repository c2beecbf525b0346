"""btree_gin: a GIN index may hold a key beside a search document (portal.search.candidates).
Made once here, for every section's index that needs it (PostgreSQL only)."""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_mail_preferences")]

    operations = [BtreeGinExtension()]
