"""STORAGES entries for S3-compatible object storage (django-storages), built from settings.

Imported by portal/settings.py, so nothing here may import models or read settings.
"""

from __future__ import annotations

S3_BACKEND = "storages.backends.s3.S3Storage"


def object_storages(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    addressing_style: str | None = None,
    url_expire: int = 300,
) -> dict[str, dict]:
    """The `artifacts` and `attachments` storages in one private bucket, under two prefixes."""
    common = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": region_name,
        # MinIO and Ceph RGW want "path"; a cloud's S3 works with the default.
        "addressing_style": addressing_style,
        "default_acl": None,  # private objects: only signed URLs read them
        "querystring_auth": True,
        "querystring_expire": url_expire,
    }
    return {
        # A release file's name is its place in the release: stored under exactly that name.
        "artifacts": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {**common, "location": "artifacts", "file_overwrite": True},
        },
        # Attachments get fresh random names; never overwrite one.
        "attachments": {
            "BACKEND": S3_BACKEND,
            "OPTIONS": {**common, "location": "attachments", "file_overwrite": False},
        },
    }
