"""The memorisation guard: which samples copy a training post, counting them, and keeping only originals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hf_tweets.errors import HfTweetsError
from hf_tweets.training.basemodel import EOS
from hf_tweets.training.copies import (
    CHARS,
    WORDS,
    CopyIndex,
    count_copies,
    keep_originals,
    training_posts,
)

# Made-up posts of made-up people.
CAT = "my cat Biscuit knocked the blue mug off the kitchen table again this morning"
BUS = "rain again in Lowmoor, so the bike stays home and I take the slow bus"
SHORT = "pancakes for dinner tonight"
JA = (
    "今日は朝から雨が降っていて駅まで歩くのが大変だったけれど"
    "帰りに寄った新しいカフェのチーズケーキがとても美味しかったので週末にまた友達と行こうと思う"
)
JA_SPACED = (
    "駅前の本屋が閉店するらしくて、少し寂しい。 でも 隣に新しいパン屋ができて、"
    "毎朝クロワッサンを買うのが楽しみになった。 GitHubに日記を公開しました"
)
TH = "วันนี้อากาศดีมากเลยไปเดินเล่นที่สวนสาธารณะใกล้บ้านแล้วก็แวะซื้อกาแฟเย็นที่ร้านโปรด"
KO = "오늘은 아침부터 비가 와서 역까지 걸어가는 것이 정말 힘들었지만 저녁에는 맑았다"
KO_RUN = "오늘은아침부터비가와서역까지걸어가는것이정말힘들었지만저녁에는맑았다" * 2  # Hangul without spaces
POSTS = [CAT, BUS, SHORT, JA, JA_SPACED, TH, KO, KO_RUN]


def whole(sample: str) -> tuple[str, str]:
    """A sample copied as a whole: it is its own stretch."""
    return sample, sample


COPIES = [
    # (sample, the copied stretch as it appears in the sample, or None for no copy)
    ("my cat Biscuit knocked the blue mug off and then slept", "my cat Biscuit knocked the blue mug off"),
    ("honestly, Biscuit knocked the blue mug off the kitchen, classic", "Biscuit knocked the blue mug off the kitchen"),
    ("what a day: the blue mug off the kitchen table again this morning!", CAT[CAT.index("the blue") :]),
    whole(CAT),
    ("cat Biscuit knocked the blue mug off my desk", None),  # 7 words, then it differs
    ("my cat Biscuit knocked the red mug off the kitchen table", None),  # one word changed in the middle
    ("MY CAT, Biscuit... knocked THE blue mug off!", "MY CAT, Biscuit... knocked THE blue mug off"),
    whole("\uff4d\uff59 \uff43\uff41\uff54 Biscuit knocked the blue mug off"),  # full-width letters
    whole("my cat Biscuit \u2013 knocked the blue mug off"),  # a dash is no word
    whole("my\ncat\tBiscuit knocked  the blue mug off"),
    ("table again this morning rain again in Lowmoor, so", None),  # 4 + 4 words of two posts
    ("pancakes for dinner tonight", None),  # a whole post, but under 8 words
    ("pancakes for dinner tonight, who is with me", None),
    ("", None),
    ("   \n ", None),
    whole(JA[:CHARS]),
    (JA[: CHARS - 1], None),
    whole(JA[3 : CHARS + 3]),
    (f"lol {JA[10:65]} wow", JA[10:65]),  # Japanese inside English text
    whole(f"{JA[:20]} {JA[20:35]}、{JA[35:50]}"),  # spaces and punctuation added
    (JA[:30] + "晴" + JA[31:70], None),  # one character changed: 30 and 39 on either side
    whole("駅前の本屋が閉店するらしくて少し寂しいでも隣に新しいパン屋ができて毎朝クロワッサンを買うのが楽しみになった"),
    whole(JA_SPACED[22:]),  # 50 with the Latin letters of the last token, across spaces
    whole(TH[:CHARS]),
    (TH[: CHARS - 1], None),
    (f"{TH[:25]} {TH[25:60]} 555", f"{TH[:25]} {TH[25:60]}"),
    whole(" ".join(KO.split()[:8])),  # Hangul: the words rule
    (" ".join(KO.split()[:7]), None),
    (KO_RUN, None),  # 76 syllables without a space are one word, not 50 characters
    (JA[:25] + TH[:25], None),  # 50 characters, half from each of two posts
]


@pytest.fixture(scope="module")
def index():
    return CopyIndex(POSTS)


@pytest.mark.parametrize("sample, stretch", COPIES, ids=[f"{i}:{c[0][:24]}" for i, c in enumerate(COPIES)])
def test_copied_stretch(index, sample, stretch):
    assert index.copied_stretch(sample) == stretch
    assert index.copies(sample) is (stretch is not None)


OFFSETS = [
    # (post, sample, stretch) with windows of 2 words or 2 characters: normalising changes lengths
    ("ｷｶ\u3099", "見て ｷｶ\u3099", "ｷｶ\u3099"),  # ｷ + ｶ + combining ゙ are キガ: the mark goes with ｶ
    ("ｷガ", "見て ｷｶﾞ!", "ｷｶﾞ"),
    ("\ufb01ne day", "a fine day", "fine day"),
    ("fine day", "a \ufb01ne day", "\ufb01ne day"),
    ("STRASSE zu", "die Straße zu", "Straße zu"),
    ("a\x1fb", "x a b", "a b"),  # \x1f is whitespace to str.split (not to the regex module's \s)
    ("a b", "x a\x1fb", "a\x1fb"),
    ("a b", "x (a, b)", "a, b"),
]


@pytest.mark.parametrize("post, sample, stretch", OFFSETS)
def test_stretch_offsets(post, sample, stretch):
    assert CopyIndex([post], words=2, chars=2).copied_stretch(sample) == stretch


def test_defaults():
    assert (WORDS, CHARS) == (8, 50)


SMALL = [
    # (sample, copies a stretch of 3 words or 5 spaceless characters of "one two three four" / "日本語の文章です")
    ("x two three four y", True),
    ("One, TWO three", True),
    ("two three x four", False),
    ("one two", False),
    ("ほら日本語の文だ", True),
    ("日本語の", False),
    ("日本 語の 文", True),
]


@pytest.mark.parametrize("sample, copies", SMALL)
def test_window_sizes(sample, copies):
    index = CopyIndex(["one two three four", "日本語の文章です"], words=3, chars=5)
    assert index.copies(sample) is copies


@pytest.mark.parametrize("words, chars, what", [(0, 50, "words=0"), (8, 0, "chars=0"), (-1, 50, "words=-1")])
def test_window_sizes_must_be_positive(words, chars, what):
    with pytest.raises(HfTweetsError) as raised:
        CopyIndex(["a b c"], words=words, chars=chars)
    assert raised.value.line() == f"{what} makes every text a copy; give a window of 1 or more"


def test_empty_index_finds_nothing():
    index = CopyIndex([])
    assert [index.copies(t) for t in (CAT, JA, "")] == [False, False, False]
    assert index.copied_stretch(CAT) is None


def test_posts_may_be_any_iterable():
    assert CopyIndex(p for p in [CAT]).copies(CAT)


def test_count_copies(index):
    texts = [CAT, "nothing like it at all", JA[:CHARS], JA[: CHARS - 1], SHORT, BUS.upper()]
    assert count_copies(index, texts) == 3
    assert count_copies(index, iter(texts)) == 3
    assert count_copies(index, []) == 0


class Scripted:
    """A fake generate_batch: returns the next scripted batch (cut to what was asked for unless told not to)."""

    def __init__(self, batches: list[list[str]], cut: bool = True):
        self.batches, self.cut, self.asked = list(batches), cut, []

    def __call__(self, n: int) -> list[str]:
        self.asked.append(n)
        batch = self.batches.pop(0) if self.batches else []
        return batch[:n] if self.cut else batch


ORIGINAL = [f"original sample number {i}" for i in range(10)]
COPY = [f"{CAT} #{i}" for i in range(10)]

KEEP = [
    # (batches, count, max_rounds, kept, dropped, sizes asked for)
    ([ORIGINAL[:3]], 3, 5, ORIGINAL[:3], 0, [3]),
    ([[ORIGINAL[0], COPY[0], ORIGINAL[1], COPY[1]], ORIGINAL[2:4]], 4, 5, ORIGINAL[:4], 2, [4, 2]),
    ([[COPY[0], ORIGINAL[0]], [COPY[1]], [ORIGINAL[1]]], 2, 5, ORIGINAL[:2], 2, [2, 1, 1]),
    ([[COPY[i]] * 3 for i in range(5)] + [ORIGINAL[:3]], 3, 5, [], 15, [3, 3, 3, 3, 3]),
    ([[COPY[0], ORIGINAL[0]], [COPY[1]], [ORIGINAL[1]]], 2, 2, ORIGINAL[:1], 2, [2, 1]),
    ([[], [], ORIGINAL[:2]], 2, 3, ORIGINAL[:2], 0, [2, 2, 2]),
    ([[]] * 9, 2, 4, [], 0, [2, 2, 2, 2]),
    ([ORIGINAL[:2]], 0, 5, [], 0, []),
    ([ORIGINAL[:2]], 2, 0, [], 0, []),
]


@pytest.mark.parametrize("batches, count, rounds, kept, dropped, asked", KEEP)
def test_keep_originals(index, batches, count, rounds, kept, dropped, asked):
    generate = Scripted(batches)
    assert keep_originals(index, generate, count, max_rounds=rounds) == (kept, dropped)
    assert generate.asked == asked


def test_keep_originals_looks_no_further_than_count(index):
    """A batch longer than asked for: texts after the count is reached are neither kept nor counted."""
    generate = Scripted([[COPY[0], ORIGINAL[0], ORIGINAL[1], COPY[1], ORIGINAL[2]]], cut=False)
    assert keep_originals(index, generate, 2) == (ORIGINAL[:2], 1)
    assert generate.asked == [2]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([*ORIGINAL, *COPY, JA, TH[:49]]), max_size=12), st.integers(0, 6))
def test_keep_originals_never_returns_a_copy(index, texts, count):
    chunks = [texts[i : i + 3] for i in range(0, len(texts), 3)]
    kept, dropped = keep_originals(index, Scripted(chunks, cut=False), count, max_rounds=3)
    assert len(kept) <= count and not any(index.copies(t) for t in kept)
    assert dropped == sum(index.copies(t) for chunk in chunks[:3] for t in chunk) or len(kept) == count


@pytest.mark.parametrize(
    "text, posts",
    [
        (f"{CAT}{EOS}{BUS}", [CAT, BUS]),
        (f"{EOS}{CAT}{EOS}{EOS}{SHORT}{EOS}", [CAT, SHORT]),
        (f"{JA}\n{TH}", [f"{JA}\n{TH}"]),
        ("", []),
    ],
)
def test_training_posts(tmp_path, text, posts):
    (tmp_path / "train.txt").write_text(text, encoding="utf-8")
    assert training_posts(tmp_path) == posts


def test_training_posts_without_train_txt(tmp_path):
    folder = tmp_path / "pixel_poet"
    folder.mkdir()
    with pytest.raises(HfTweetsError) as raised:
        training_posts(folder)
    assert raised.value.line() == (
        f"{folder}: no train.txt, the training posts that samples are checked against;"
        " run hf-tweets prepare pixel_poet first"
    )


def test_training_posts_not_utf8(tmp_path):
    (tmp_path / "train.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(HfTweetsError) as raised:
        training_posts(tmp_path)
    assert raised.value.line() == (
        f"{tmp_path / 'train.txt'}: not UTF-8 text; run hf-tweets prepare {tmp_path.name} again"
    )


VOCABULARY = [f"w{i}x" for i in range(400)]  # made-up words, none a prefix of another


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_long_slice_of_a_post_is_found(data):
    post = data.draw(st.lists(st.sampled_from(VOCABULARY), min_size=WORDS, max_size=40))
    start = data.draw(st.integers(0, len(post) - WORDS))
    stop = data.draw(st.integers(start + WORDS, len(post)))
    around = data.draw(st.lists(st.sampled_from(VOCABULARY), max_size=5))
    index = CopyIndex([" ".join(data.draw(st.lists(st.sampled_from(VOCABULARY), max_size=30))), " ".join(post)])
    sample = " ".join([*around, *post[start:stop], *around])
    assert index.copies(sample)
    assert " ".join(post[start:stop]) in index.copied_stretch(sample)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=60, unique=True), st.integers(1, 59))
def test_unrelated_words_are_not_found(words, cut):
    """Posts and a sample made of distinct words, none shared: never a copy, however long."""
    cut = min(cut, len(words) - 1) if len(words) > 1 else 0
    index = CopyIndex([" ".join(words[:cut])])
    assert not index.copies(" ".join(words[cut:]))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200), st.integers(1, 9), st.integers(1, 60))
def test_any_text_is_checked_without_error(text, words, chars):
    """Whatever a model writes, the two checks agree and the stretch is a part of the text."""
    index = CopyIndex([text], words=words, chars=chars)
    stretch = index.copied_stretch(text)
    assert index.copies(text) is (stretch is not None)
    assert stretch is None or (stretch and stretch in text)


MIXED = list("aBß ﬁ,.–\u3000\u00a0 \n今日はｶﾞか\u3099ーวันนี้ำ한국어🙂#@")  # what normalising changes, all scripts


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(MIXED), max_size=200), st.integers(1, 4), st.integers(1, 8))
def test_a_reported_stretch_is_itself_a_copy(text, words, chars):
    """Offsets survive normalising (ﬁ is fi, ｶﾞ and か+゙ are one character each). A stretch of Latin letters
    that counts as characters only because a run's token also holds kana or Thai is no copy on its own."""
    index = CopyIndex([text], words=words, chars=chars)
    stretch = index.copied_stretch(text)
    assert index.copies(text) is (stretch is not None)
    if stretch is not None:
        assert stretch in text
        assert index.copies(stretch) or not any(c in "今日はｶﾞかーวันนี้ำ" for c in stretch)
