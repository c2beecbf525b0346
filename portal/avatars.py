"""Avatars drawn here from the username: a symmetric 5x5 identicon as SVG, no upload, no CDN."""

import hashlib
from functools import lru_cache

from django.utils.html import escape

_SIZE = 5
_CELL = 16


@lru_cache(maxsize=2048)
def identicon_svg(username: str) -> str:
    digest = hashlib.sha256(username.lower().encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    colour = f"hsl({hue}, 55%, 45%)"
    background = f"hsl({hue}, 40%, 92%)"
    cells = []
    bits = int.from_bytes(digest[2:8], "big")
    half = (_SIZE + 1) // 2
    for row in range(_SIZE):
        for col in range(half):
            if bits & 1:
                for x in {col, _SIZE - 1 - col}:
                    cells.append(
                        f'<rect x="{x * _CELL}" y="{row * _CELL}" '
                        f'width="{_CELL}" height="{_CELL}"/>'
                    )
            bits >>= 1
    side = _SIZE * _CELL
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-8 -8 {side + 16} {side + 16}" '
        f'width="96" height="96" role="img" aria-label="{escape(username[:1].upper())}">'
        f'<rect x="-8" y="-8" width="{side + 16}" height="{side + 16}" fill="{background}"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
