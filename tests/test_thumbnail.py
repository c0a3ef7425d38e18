"""predictions.png: size, avatars or initials, wrapped text, and no boxes for characters the fonts lack."""

from __future__ import annotations

import copy
import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from hf_tweets.cards.thumbnail import SIZE, _font, _Glyphs, draw, fetch_avatar, wrap, write_thumbnail

from conftest import THREE, make_record

LONG = "My dream is " + "a lighthouse that serves soup to passing ships " * 12


@pytest.mark.parametrize("text, max_lines", [(LONG, 2), ("x" * 400, 3), ("short", 2), ("", 1)])
def test_wrapped_lines_never_overflow(text, max_lines):
    font = _font(26)
    lines = wrap(text, font, 500, max_lines)
    assert len(lines) <= max_lines
    assert all(font.getlength(line) <= 500 for line in lines)
    if text == LONG:
        assert lines[-1].endswith(" …")


def test_characters_no_bundled_font_draws_are_left_out():
    glyphs = _Glyphs(_font(26))
    assert glyphs.drawable("moon 🌙 coffee ☕ שלום مرحبا Ωμέγα") == "moon  coffee ☕ שלום مرحبا Ωμέγα"


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
