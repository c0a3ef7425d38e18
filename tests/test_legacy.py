"""Every generation of huggingtweets' cards imports, keeps each user's facts together, and round-trips.

The cards are built by tests/legacy_cards.py exactly as huggingtweets' generator wrote them, for made-up users.
"""

from __future__ import annotations

import re

import pytest

from hf_tweets.cards.check import check_readme_text
from hf_tweets.cards.importer import import_card
from hf_tweets.cards.render import render
from hf_tweets.errors import CardImportError

from legacy_cards import (
    ALPHA,
    MID,
    ZETA,
    LegacyUser,
    avatar,
    card_2020,
    card_2020_exbert,
    card_2021,
    card_cyborg,
    repo_name,
)


def facts(user) -> tuple:
    """What a record says of one user, the handle aside."""
    return user.display_name, user.avatar, tuple(user.counts.model_dump(exclude_none=True).values())


def legacy_facts(user: LegacyUser) -> tuple:
    return user.name, user.avatar, user.counts


def round_trips(record) -> None:
    text = render(record)
    assert import_card(text) == record
    assert render(import_card(text)) == text


SINGLE = [
    ("2020 exbert", card_2020_exbert),
    ("2020", card_2020),
    ("2021 single avatar", card_2021),
    ("cyborg layout, one user", lambda u: card_cyborg([u])),
]


@pytest.mark.parametrize("generation, make", SINGLE, ids=[g for g, _ in SINGLE])
@pytest.mark.parametrize("user", [ALPHA, MID, ZETA], ids=lambda u: u.handle)
def test_single_user_generations_import_with_their_pairing(generation, make, user):
    record = import_card(make(user), "README.md")
    assert record.repo_id == f"huggingtweets/{user.handle.lower() if 'cyborg' in generation else user.handle}"
    (got,) = record.users
    assert got.handle.lower() == user.handle.lower() and facts(got) == legacy_facts(user)
    assert record.handles is None  # one column, one handle: the card tells
    assert record.wandb.preprocess_run == "https://wandb.ai/wandb/huggingtweets/runs/pre1x2y3"  # app.wandb.ai
    assert record.wandb.train_run == "https://wandb.ai/wandb/huggingtweets/runs/trn4z5w6"
    report = "https://bit.ly/2TGXMZf" if "exbert" in generation else "https://wandb.ai/wandb/huggingtweets/reports/"
    assert record.wandb.report.startswith(report)  # as the card links it, app.wandb.ai made wandb.ai
    assert (record.language, record.widget_prompt) == ("en", "My dream is")
    round_trips(record)


ORDERS = [[ZETA, ALPHA, MID], [MID, ZETA, ALPHA], [ALPHA, MID, ZETA], [ZETA, MID], [MID, ALPHA]]


@pytest.mark.parametrize("typed", ORDERS, ids=["-".join(u.handle for u in o) for o in ORDERS])
def test_multi_user_columns_keep_their_own_facts_and_no_handle_is_guessed(typed):
    record = import_card(card_cyborg(typed), "README.md")
    assert [facts(u) for u in record.users] == [legacy_facts(u) for u in typed]  # column order, each user whole
    assert all(u.handle is None for u in record.users)
    assert record.handles == sorted(u.handle.lower() for u in typed) and record.name == repo_name(typed)
    assert [a.handle for a in record.accounts] == record.handles
    round_trips(record)


def test_an_unpaired_card_claims_no_pairing():
    record = import_card(card_cyborg([ZETA, ALPHA, MID]), "README.md")
    text = render(record)
    assert "| Handle |" not in text  # the row that ties a column to an account
    assert "Alpha One (@" not in text and "(@zeta_z)" not in text
    assert 'title="@' not in text  # avatars are not labelled with handles either
    assert "@alpha_one · @mid_1 · @zeta_z" in text  # the accounts, as the repo name lists them
    assert "does not say which name belongs to which account" in text
    assert "Zeta &amp; Alpha One &amp; Mid 🌙" in text  # the names, in the card's column order


def test_hf_tweets_cards_keep_their_pairing():
    from conftest import THREE, make_record

    record = make_record(THREE)
    assert import_card(render(record)) == record and record.handles is None
    assert [u.handle for u in import_card(render(record)).users] == ["Zeta_Z", "alpha", "mid_1"]


def test_the_seed_cyborg_card_is_unpaired():
    from conftest import SEED_CARDS

    record = import_card((SEED_CARDS / "dril-gnomeszs-s4m31p4n.README.md").read_text(encoding="utf-8"))
    assert record.handles == ["dril", "gnomeszs", "s4m31p4n"]
    assert [u.display_name for u in record.users] == ["wint", "gnome 👼🏻", "ppigg"]
    assert [u.handle for u in record.users] == [None, None, None]


# -- names the generator mangled or that broke the card's own table ------------------------------------


def test_a_name_with_a_placeholder_word_imports_as_the_card_shows_it():
    mister = LegacyUser("mister_r", "Mr. RETWEETS", avatar(7), (3000, 2999, 1, 0))
    for make in (card_2020, card_2021):
        assert import_card(make(mister)).users[0].display_name == "Mr. 2999"
    # The last generation put the names in the header before "BOT" was replaced and in the table after:
    # the table (one cell a column) is what the importer reads.
    robot = LegacyUser("robot_fan", "ROBOT fan", avatar(8), (10, 1, 1, 8))
    card = card_cyborg([robot, ALPHA])
    assert "ROCYBORG fan &amp; Alpha One" in card or "ROCYBORG fan & Alpha One" in card
    assert [u.display_name for u in import_card(card).users] == ["ROBOT fan", "Alpha One"]
    # ... and "RETWEETS" in a name became the counts, " | "-joined, which broke the table: the header tells.
    record = import_card(card_cyborg([mister, ALPHA]))
    assert [u.display_name for u in record.users] == ["Mr. 2999 | 400", "Alpha One"]
    assert [u.counts.retweets for u in record.users] == [2999, 400]


PIPE = LegacyUser("pipe_user", "Left | Right", avatar(9), (500, 50, 50, 400))
AMP_PIPE = LegacyUser("amp_pipe", "Tom & Jerry | Co", avatar(10), (600, 60, 40, 500))


@pytest.mark.parametrize(
    "typed",
    [[PIPE], [PIPE, ALPHA], [ZETA, PIPE, MID]],
    ids=["alone", "first of two", "middle of three"],
)
def test_a_pipe_in_a_name_is_recovered_from_the_header(typed):
    record = import_card(card_cyborg(typed), "README.md")
    assert [facts(u) for u in record.users] == [legacy_facts(u) for u in typed]


@pytest.mark.parametrize("make", [card_2020, card_2021], ids=["2020", "2021"])
def test_a_pipe_in_a_single_avatar_name_never_touched_the_table(make):
    assert facts(import_card(make(PIPE)).users[0]) == legacy_facts(PIPE)


def test_names_that_cannot_be_told_apart_are_refused_in_one_line():
    with pytest.raises(CardImportError) as caught:
        import_card(card_cyborg([AMP_PIPE, ALPHA]), "x/README.md")
    message = str(caught.value)
    assert message.startswith("x/README.md: ") and "\n" not in message
    assert "'|'" in message and "cannot tell" in message


# -- card check: a card exactly as huggingtweets wrote it has no problem ---------------------------------


CARDS = {
    "2020 exbert": card_2020_exbert(ALPHA),
    "2020": card_2020(ALPHA),
    "2021": card_2021(ALPHA),
    "cyborg 1": card_cyborg([ALPHA]),
    "cyborg 2": card_cyborg([ZETA, ALPHA]),
    "cyborg 3": card_cyborg([MID, ZETA, ALPHA]),
}


@pytest.mark.parametrize("name", list(CARDS))
def test_legacy_cards_pass_check(name):
    notes = []
    assert check_readme_text(CARDS[name], "README.md", notes) == []
    text = " ".join(str(n) for n in notes)
    if name == "2020":
        assert "legacy markup the Hub strips" in text and "<style>" in text and "<link>" in text
    if name.startswith("cyborg") and name != "cyborg 1":
        assert "does not say which column is which account" in text
    if name in ("2020 exbert", "2021", "cyborg 1"):
        assert notes == []


def test_an_unpaired_record_is_a_note_not_a_problem(run, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(CARDS["cyborg 3"], encoding="utf-8")
    code, out, err = run("card", "check", str(readme))
    assert code == 0, out + err
    assert re.search(r"README\.md: note: the card does not say which column is which account", out)
    assert "1 file checked, no problems (1 note)" in err


def test_hidden_placeholders_are_inert_but_a_bad_visible_url_is_not():
    text = CARDS["cyborg 1"]
    assert check_readme_text(text, "README.md") == []
    shown = text.replace("display:none", "display:inherit", 1)  # an empty url('') that is shown is a broken card
    assert any("url" in str(p) for p in check_readme_text(shown, "README.md"))


# -- card import --resolve-handles: pair columns with accounts by what the accounts show today ------------

TYPED = [ZETA, ALPHA, MID]  # columns: Zeta, Alpha One, Mid 🌙; accounts: alpha_one, mid_1, zeta_z
NOW = {  # what each account shows today: (display name, avatar)
    "alpha_one": ("Alpha (new name)", "https://pbs.twimg.com/profile_images/1001/av1_400x400.jpg"),  # same picture
    "mid_1": ("mid 🌙", "https://pbs.twimg.com/profile_images/2222/new_400x400.jpg"),  # same name (case aside)
    "zeta_z": ("Someone Else", "https://pbs.twimg.com/profile_images/3333/other_400x400.jpg"),  # neither
}
PAIRINGS = [
    ("picture, name, and the last by elimination", NOW, ["zeta_z", "alpha_one", "mid_1"], []),
    (
        "two columns unresolved",
        {"alpha_one": NOW["alpha_one"]},
        None,
        ["column 'Zeta': no account's", "column 'Mid 🌙': no account's"],
    ),
    (
        "one name for two accounts",
        NOW | {"zeta_z": ("Alpha One", None), "alpha_one": ("Alpha One", None)},
        None,
        ["column 'Zeta': no account's", "column 'Alpha One': matches @alpha_one, @zeta_z alike"],
    ),
    ("nobody answered", {}, None, ["column 'Zeta'", "column 'Alpha One'", "column 'Mid 🌙'"]),
]


@pytest.mark.parametrize("what, profiles, handles, unresolved", PAIRINGS, ids=[p[0] for p in PAIRINGS])
def test_columns_are_paired_only_on_unambiguous_evidence(what, profiles, handles, unresolved):
    from hf_tweets.cards.pairing import pair_columns

    record = import_card(card_cyborg(TYPED))
    paired, why = pair_columns(record, profiles)
    if handles:
        assert [u.handle for u in paired.users] == handles and paired.paired and why == []
        assert [facts(u) for u in paired.users] == [facts(u) for u in record.users]  # only the handles were added
    else:
        assert paired is record and len(why) == len(unresolved)
        assert all(w.startswith(u) for w, u in zip(why, unresolved, strict=True)), why


def import_resolving(run, tmp_path, monkeypatch, cassette: str) -> tuple[int, str, str]:
    """``card import --resolve-handles`` of a typed multi-user legacy card, the X API replaying ``cassette``."""
    from test_xapi import BEARER, replay

    monkeypatch.setenv("X_BEARER_TOKEN", BEARER)
    readme = tmp_path / "README.md"
    readme.write_text(card_cyborg(TYPED), encoding="utf-8")
    with replay.use_cassette(f"{cassette}.yaml") as played:
        code, out, err = run("card", "import", "--resolve-handles", str(readme))
    assert played.all_played and BEARER not in out + err
    return code, out, err


def test_card_import_resolve_handles_through_the_x_api(run, tmp_path, monkeypatch):
    code, out, err = import_resolving(run, tmp_path, monkeypatch, "legacy_accounts")
    assert code == 0, err
    assert "paired: Zeta = @zeta_z" in out and "paired: Alpha One = @alpha_one" in out
    from hf_tweets.cards.recordfile import load_record

    record = load_record(tmp_path / "cards" / "alpha_one-mid_1-zeta_z.yaml")
    assert record.paired and [u.handle for u in record.users] == ["zeta_z", "alpha_one", "mid_1"]
    code, out, err = import_resolving(run, tmp_path, monkeypatch, "legacy_accounts_unknown")
    assert code == 0 and "not paired, column 'Zeta': no account's current name or picture matches it" in out
    assert not load_record(tmp_path / "cards" / "alpha_one-mid_1-zeta_z.yaml").paired  # imported, unpaired


def test_resolve_handles_at_a_rate_limit_says_when_it_resets(run, tmp_path, monkeypatch):
    code, out, err = import_resolving(run, tmp_path, monkeypatch, "legacy_accounts_rate_limited")
    assert code == 0, err  # imported unpaired, saying why
    assert "  not paired: the X API's rate limit is reached (429); it resets at 00:00:00 UTC; try again then\n" in out


def test_resolve_handles_needs_the_token_before_anything_is_imported(run, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(card_cyborg(TYPED), encoding="utf-8")
    code, out, err = run("card", "import", "--resolve-handles", str(readme))
    assert code == 1 and "no X API token; set X_BEARER_TOKEN" in err and err.count("\n") == 1
    assert not (tmp_path / "cards").exists()


def test_prepare_pairs_a_legacy_records_users_again(run, tmp_path):
    """Retraining a legacy multi-user bot: prepare reads each account's own posts, so every user has a handle."""
    from hf_tweets.cards.recordfile import load_record
    from hf_tweets.sources.posts import Post, Profile, save_posts, save_profile

    readme = tmp_path / "README.md"
    readme.write_text(card_cyborg([ZETA, ALPHA]), encoding="utf-8")
    assert run("card", "import", str(readme))[0] == 0
    for n, user in enumerate([ALPHA, ZETA]):
        texts = [f"post {i} of {user.name} about spoons" for i in range(60)]
        posts = [Post(str(n * 1000 + i), "2024-01-02T03:04:05Z", text) for i, text in enumerate(texts)]
        save_posts(tmp_path / "data", user.handle, posts)
        save_profile(tmp_path / "data", Profile(user.handle, user.name, user.avatar, "test"))
    code, out, err = run("prepare", "alpha_one-zeta_z", "--min-chars", "100")
    assert code == 0, err
    record = load_record(tmp_path / "cards" / "alpha_one-zeta_z.yaml")
    assert record.paired and [(u.handle, u.display_name) for u in record.users] == [
        ("alpha_one", "Alpha One"),
        ("Zeta_Z", "Zeta"),
    ]
