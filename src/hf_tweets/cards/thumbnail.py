"""predictions.png: the card's thumbnail, a 1200x628 social card drawn with Pillow.

The avatar(s) (downloaded when reachable, else a disc with initials), the
display names and handles, "AI BOT" or "AI CYBORG", and 2-3 sample
generations with the prompt highlighted. Text is wrapped to its box and cut
with an ellipsis rather than overflowing. Fonts are the bundled DejaVu Sans
(Latin, Greek, Cyrillic, Hebrew, Arabic and many symbols; right-to-left text is
shaped with libraqm when Pillow has it); a character no bundled font can draw,
such as most emoji, is left out rather than drawn as a box.
"""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from hf_tweets.cards.record import CardRecord
from hf_tweets.fsutil import atomic_write_bytes

SIZE = (1200, 628)
FONTS = Path(__file__).with_name("fonts")
INK, MUTED, ACCENT, PAPER, PANEL = (17, 24, 39), (75, 85, 99), (234, 88, 12), (255, 255, 255), (243, 244, 246)
DISCS = [(99, 102, 241), (16, 185, 129), (236, 72, 153)]


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(
        str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size, layout_engine=layout
    )


class _Glyphs:
    """Which characters a font can draw: those whose bitmap is not the font's 'missing glyph' box."""

    def __init__(self, font: ImageFont.FreeTypeFont):
        self.font, self.known = font, {}
        self.missing = self._mask("\U0010fffd")  # a private-use code point: no font draws it

    def _mask(self, char: str) -> bytes:
        size = int(self.font.size * 2)
        image = Image.new("L", (size, size))
        ImageDraw.Draw(image).text((0, 0), char, font=self.font, fill=255)
        return image.tobytes()

    def drawable(self, text: str) -> str:
        out = []
        for char in text:
            if char not in self.known:
                self.known[char] = char.isspace() or self._mask(char) != self.missing
            if self.known[char]:
                out.append(char)
        return "".join(out).strip()


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Words into lines no wider than ``width``; the last line ends with an ellipsis when text is left over."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:  # a word longer than the line: cut it
            cut = max(1, int(len(word) * width / font.getlength(word)) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while " " in last and font.getlength(last + " …") > width:  # drop whole words, then add the ellipsis
            last = last.rsplit(" ", 1)[0]
        while last and font.getlength(last + " …") > width:  # one long word: drop characters
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + " …"]
    return lines


def fetch_avatar(url: str | None, timeout: float = 3.0) -> Image.Image | None:
    """The avatar picture, or None when it cannot be had (offline, 404, not an image)."""
    if not url:
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return Image.open(io.BytesIO(response.read())).convert("RGB")
    except Exception:  # noqa: BLE001 - any failure means: draw the initials instead
        return None


def _disc(picture: Image.Image | None, name: str, size: int, color) -> Image.Image:
    disc = Image.new("RGB", (size, size), color)
    if picture is not None:
        disc = picture.resize((size, size))
    else:
        initials = "".join(w[0] for w in name.split()[:2] if w[:1].isalnum()).upper() or "?"
        draw = ImageDraw.Draw(disc)
        draw.text((size / 2, size / 2), initials, font=_font(size // 3, True), fill=PAPER, anchor="mm")
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    out = Image.new("RGBA", (size, size))
    out.paste(disc, (0, 0), mask)
    return out


def draw(record: CardRecord, samples: list[str], avatars: list[Image.Image | None] | None = None) -> Image.Image:
    """The thumbnail as an image."""
    image = Image.new("RGB", SIZE, PAPER)
    canvas = ImageDraw.Draw(image)
    avatars = avatars if avatars is not None else [fetch_avatar(u.avatar) for u in record.users]
    size, x = 150, 60
    for i, (user, picture) in enumerate(zip(record.users, avatars, strict=False)):
        disc = _disc(picture, user.display_name, size, DISCS[i % len(DISCS)])
        image.paste(disc, (x + i * (size - 30), 50), disc)
    title, name_font, handle_font, sample_font, prompt_font = (
        _font(26, True),
        _font(40, True),
        _font(24),
        _font(26),
        _font(26, True),
    )
    glyphs = {id(f): _Glyphs(f) for f in (title, name_font, handle_font, sample_font, prompt_font)}
    left = x + len(record.users) * (size - 30) + 60
    width = SIZE[0] - left - 60
    canvas.text((left, 58), "AI CYBORG" if len(record.users) > 1 else "AI BOT", font=title, fill=ACCENT)
    names = glyphs[id(name_font)].drawable(" & ".join(u.display_name for u in record.users)) or record.repo_id
    y = 100
    for line in wrap(names, name_font, width, 2):
        canvas.text((left, y), line, font=name_font, fill=INK)
        y += 50
    handles = "  ".join(map(str, record.accounts))
    canvas.text((left, y + 4), wrap(handles, handle_font, width, 1)[0], font=handle_font, fill=MUTED)
    _samples(canvas, record.widget_prompt, samples[:3], glyphs[id(sample_font)], prompt_font, top=260)
    return image


def _samples(canvas, prompt: str, samples: list[str], glyphs: _Glyphs, prompt_font, top: int) -> None:
    font = glyphs.font
    box_width, height = SIZE[0] - 120, (SIZE[1] - top - 40) // max(1, len(samples))
    for i, sample in enumerate(samples):
        y0 = top + i * height
        canvas.rounded_rectangle((60, y0, 60 + box_width, y0 + height - 16), radius=14, fill=PANEL)
        text = glyphs.drawable(sample)
        lines = wrap(text, font, box_width - 48, max(1, (height - 40) // 34))
        y = y0 + 14
        for n, line in enumerate(lines):
            x = 84
            if n == 0 and text.startswith(prompt) and line.startswith(prompt):
                canvas.text((x, y), prompt, font=prompt_font, fill=ACCENT)  # the prompt, highlighted
                x += prompt_font.getlength(prompt + " ")
                line = line[len(prompt) :].strip()
            canvas.text((x, y), line, font=font, fill=INK)
            y += 34


def write_thumbnail(record: CardRecord, samples: list[str], target: Path, avatars=None) -> Path:
    """Draw the thumbnail and write it atomically as PNG."""
    buffer = io.BytesIO()
    draw(record, samples, avatars).save(buffer, format="PNG", optimize=True)
    atomic_write_bytes(target, buffer.getvalue())
    return target
