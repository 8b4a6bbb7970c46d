"""Draw docs/posted-story.png: the message a sample story becomes, as Discord's dark theme shows it.

The picture is drawn from what the bot really sends (``bot.render.embeds.build_story_message`` on a story file
from ``articles/``), so it changes when the embed does. A doc-time tool, not part of the bot: it needs Pillow,
which is no dependency of Newsdesk (``.venv/bin/pip install pillow``), and the DejaVu fonts when present.

    .venv/bin/python docs/render_story_image.py [STORY_FILE] [--out docs/posted-story.png]
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file from any folder, without installing the project

from bot.render.embeds import build_story_message  # noqa: E402
from bot.stories.parser import parse_story_text  # noqa: E402

DEFAULT_STORY = ROOT / "articles" / "001_3f9a1c27b84e6d05.md"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WIDTH, MARGIN, EMBED_X, EMBED_W = 860, 16, 72, 640
BACKGROUND, EMBED_BG, TEXT, MUTED, LINK = "#313338", "#2b2d31", "#dbdee1", "#949ba4", "#00a8fc"
BUTTON_BG, BOT_TAG = "#4e5058", "#5865f2"
_LINK_LINE = re.compile(r"^• \[(?P<title>.*)\]\((?P<url>[^)]*)\)(?: — (?P<source>.*))?$")
_ESCAPED = re.compile(r"\\(.)")


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size)


def shown(text: str) -> str:
    """Discord shows escaped markdown without its backslashes."""
    return _ESCAPED.sub(r"\1", text)


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Any, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=face) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


class Canvas:
    """Draws text top to bottom on a transparent layer; ``y`` is the next free line. The embed's box goes under
    it once its height is known."""

    def __init__(self, height: int) -> None:
        self.layer = Image.new("RGBA", (WIDTH, height), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.layer)
        self.y = MARGIN

    def text(self, x: int, text: str, face: Any, fill: str, width: int, gap: int = 4) -> None:
        for line in wrap(self.draw, text, face, width):
            self.draw.text((x, self.y), line, font=face, fill=fill)
            self.y += line_height(face)
        self.y += gap


def line_height(face: Any) -> int:
    return int(face.size * 1.35)


def render(payload: dict[str, Any], when: datetime) -> Image.Image:
    embed = payload["embeds"][0]
    canvas = Canvas(2000)
    draw = canvas.draw
    # The message header: the bot's avatar, name, BOT tag and time, as the channel shows every post.
    bold16 = font(16, bold=True)
    draw.ellipse((MARGIN, canvas.y, MARGIN + 40, canvas.y + 40), fill=BOT_TAG)
    draw.text((MARGIN + 13, canvas.y + 8), "N", font=font(20, bold=True), fill="white")
    draw.text((EMBED_X, canvas.y), "Newsdesk", font=bold16, fill="white")
    tag_x = EMBED_X + int(draw.textlength("Newsdesk", font=bold16)) + 8
    draw.rounded_rectangle((tag_x, canvas.y + 2, tag_x + 34, canvas.y + 18), 3, fill=BOT_TAG)
    draw.text((tag_x + 5, canvas.y + 3), "BOT", font=font(11, bold=True), fill="white")
    draw.text((tag_x + 44, canvas.y + 3), when.strftime("Today at %H:%M"), font=font(12), fill=MUTED)
    canvas.y += 28
    top = canvas.y
    inner_x, inner_w = EMBED_X + 16, EMBED_W - 32
    canvas.y += 12
    if "author" in embed:
        canvas.text(inner_x, embed["author"]["name"], font(13, bold=True), TEXT, inner_w)
    canvas.text(inner_x, embed["title"], bold16, LINK if "url" in embed else TEXT, inner_w)
    if "description" in embed:
        canvas.text(inner_x, shown(embed["description"]), font(14), TEXT, inner_w, gap=10)
    for field in embed.get("fields", []):
        canvas.text(inner_x, field["name"], font(14, bold=True), TEXT, inner_w, gap=2)
        for line in field["value"].split("\n"):
            _field_line(canvas, line, inner_x, inner_w)
        canvas.y += 10
    if "image" in embed:
        # The sample's image URL is fictional: a placeholder of the lead image's shape (16:9) stands in for it.
        # Discord shows an embed's image at most 400 pixels wide.
        box = (inner_x, canvas.y, inner_x + 400, canvas.y + 225)
        for row in range(box[1], box[3]):
            shade = 70 + (row - box[1]) * 40 // 225
            draw.line((box[0], row, box[2], row), fill=(shade // 2, shade, shade + 40))
        draw.text((box[0] + 14, box[3] - 28), "lead image (images[0])", font=font(13), fill=TEXT)
        canvas.y = box[3] + 10
    footer = embed["footer"]["text"]
    if "timestamp" in embed:
        footer += f" • {datetime.fromisoformat(embed['timestamp']):%d/%m/%Y %H:%M}"
    canvas.text(inner_x, footer, font(12), MUTED, inner_w, gap=0)
    canvas.y += 12
    bottom = canvas.y
    canvas.y += 8
    for row in payload.get("components", []):
        _buttons(canvas, row["components"])
    height = canvas.y + MARGIN
    image = Image.new("RGBA", (WIDTH, height), BACKGROUND)
    box_draw = ImageDraw.Draw(image)
    box_draw.rounded_rectangle((EMBED_X, top, EMBED_X + EMBED_W, bottom), 4, fill=EMBED_BG)
    box_draw.rectangle((EMBED_X, top, EMBED_X + 3, bottom), fill=f"#{embed.get('color', 0):06x}")
    image.alpha_composite(canvas.layer.crop((0, 0, WIDTH, height)))
    return image.convert("RGB")


def _field_line(canvas: Canvas, line: str, x: int, width: int) -> None:
    """``• [title](url) — provider``: the title in link colour, the provider after it in plain text."""
    match = _LINK_LINE.match(line)
    if match is None:
        canvas.text(x, shown(line), font(14), TEXT, width, gap=0)
        return
    face = font(14)
    title = "• " + shown(match["title"])
    canvas.text(x, title, face, LINK, width, gap=0)
    if match["source"]:
        last = wrap(canvas.draw, title, face, width)[-1]
        end = x + int(canvas.draw.textlength(last, font=face))
        canvas.draw.text((end, canvas.y - line_height(face)), f" — {shown(match['source'])}", font=face, fill=TEXT)


def _buttons(canvas: Canvas, buttons: list[dict[str, Any]]) -> None:
    x, face = EMBED_X, font(14)
    for button in buttons:
        label = f"{button['label']}  ↗"
        width = int(canvas.draw.textlength(label, font=face)) + 32
        canvas.draw.rounded_rectangle((x, canvas.y, x + width, canvas.y + 32), 4, fill=BUTTON_BG)
        canvas.draw.text((x + 16, canvas.y + 7), label, font=face, fill="white")
        x += width + 8
    canvas.y += 40


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("story", nargs="?", type=Path, default=DEFAULT_STORY, help="a story file")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "posted-story.png")
    args = parser.parse_args(argv)
    story = parse_story_text(args.story.read_text(encoding="utf-8"), str(args.story))
    payload = build_story_message(story)
    when = story.published_at or datetime(2026, 11, 24, 8, 15)  # noqa: DTZ001 - only its clock time is shown
    render(payload, when).save(args.out, optimize=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
