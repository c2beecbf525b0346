"""The one image pipeline of the site: every picture a person uploads (forum posts, doc pages,
bug attachments) is decoded, checked against the limits and re-encoded, so that only pixels
survive: no metadata, no payload appended to the file, no decompression bomb.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class PreparedImage:
    """An upload decoded and re-encoded: only pixels survive (no metadata, no payloads)."""

    content: bytes
    extension: str
    original_name: str
    width: int
    height: int


def prepare_image(upload) -> PreparedImage:
    """Check and re-encode an uploaded image; ValidationError names the file on refusal."""
    name = str(getattr(upload, "name", "image"))[:200]
    if upload.size > settings.IMAGE_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d KiB.")
            % {"name": name, "limit": settings.IMAGE_MAX_BYTES // 1024},
            code="image_size",
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; ours is lower still, checked below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(upload)
        with probe:
            width, height = probe.size
            kind = probe.format
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels (%(w)d×%(h)d).")
                    % {"name": name, "w": width, "h": height},
                    code="image_pixels",
                )
            if kind not in {"PNG", "JPEG", "GIF", "WEBP"}:
                raise ValidationError(
                    _("%(name)s is not a PNG, JPEG, GIF or WebP image.") % {"name": name},
                    code="image_type",
                )
            probe.load()
            image = probe.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("%(name)s has too many pixels.") % {"name": name}, code="image_pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError(
            _("%(name)s is not an image that can be read.") % {"name": name}, code="image_bad"
        ) from exc
    image.thumbnail((settings.IMAGE_MAX_SIDE, settings.IMAGE_MAX_SIDE))
    out = io.BytesIO()
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha or kind in {"PNG", "GIF"}:
        image.convert("RGBA" if has_alpha else "RGB").save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        extension = "jpg"
    return PreparedImage(
        content=out.getvalue(),
        extension=extension,
        original_name=name,
        width=image.width,
        height=image.height,
    )
