"""How the charts look, and text made safe for matplotlib.

An opaque card of its own (Discord's dark card colour, light text) reads the same in Discord's dark and light
themes: on dark it blends in, on light it stands out as a picture, and its contrast never depends on the client.
The series colours are Okabe-Ito's colour-blind-safe hues, brightened for a dark ground.
"""

from __future__ import annotations

import functools

from bot.render.text import clean_line, truncate

CARD = "#2b2d31"
TEXT = "#f2f3f5"
MUTED = "#b5bac1"
GRID = "#404249"
FAILED = "#ff5c5c"
QUEUE = "#ffffff"
OTHER = "#80848e"
SERIES = ("#56b4e9", "#e69f00", "#3ec99a", "#f0e442", "#cc79a7", "#9b8cff", "#ff9f80", "#a3d977")
MAX_SERIES = len(SERIES)  # more channels than this: the rest are summed as "other"
SIZE = (12.0, 6.0)  # inches; at DPI, 1200 × 600 pixels
DPI = 100
FONT = "DejaVu Sans"  # ships with matplotlib: the same glyphs on every machine


def plain(text: str, limit: int = 60) -> str:
    """One line of story or channel text as matplotlib should draw it: cut to ``limit``, characters its font has
    no glyph for (emoji, CJK) replaced by "?", and ``$`` escaped so a price never starts mathtext."""
    covered = _covered()
    line = "".join(ch if ord(ch) in covered else "?" for ch in truncate(clean_line(text), limit))
    return line.replace("$", r"\$")


@functools.cache
def _covered() -> frozenset[int]:
    """The code points the chart font draws (a missing glyph would be an empty box and a logged warning)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(font_manager.findfont(FONT)).get_charmap())
