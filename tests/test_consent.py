"""Consent: the opt-out list refuses every command before any work, unpublish takes a bot down, cards say whose
choice a model is."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import vcr
import yaml

from hf_tweets.cards.recordfile import load_record, save_record

from bluesky_factory import ALICE, Person, dump, get_profile, write_car
from conftest import SAMPLE_ARCHIVE, make_record, republish

EXAMPLE = SAMPLE_ARCHIVE


def opted_out(tmp_path, *accounts, reason="asked by e-mail"):
    entries = [{"account": a, "date": "2026-11-20", "reason": reason} for a in accounts]
    (tmp_path / "optout.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")


def raw_files(tmp_path) -> list[str]:
    folder = tmp_path / "data" / "raw"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


REFUSED = "is on the opt-out list since 2026-11-20: asked by e-mail; hf-tweets does not fetch, train on or publish"


# -- optout add | list | remove --------------------------------------------------------------------------


def test_optout_add_list_remove(run, tmp_path):
    code, out, _ = run("optout", "add", "alice", "bsky:Bob.Example.com", "@carol@mastodon.social", "--reason", "mail")
    assert code == 0 and out.splitlines() == [
        "@alice: added",
        "@bob.example.com: added",
        "@carol@mastodon.social: added",
    ]
    entries = yaml.safe_load((tmp_path / "optout.yaml").read_text())
    assert [e["account"] for e in entries] == ["x:alice", "bluesky:bob.example.com", "mastodon:carol@mastodon.social"]
    assert all(e["reason"] == "mail" and len(e["date"]) == 10 for e in entries)
    assert run("optout", "add", "Alice")[1] == "@Alice: on the list already\n"  # X handles: any case
    code, out, err = run("optout", "list")
    assert out.splitlines()[0].split("\t")[:1] == ["@alice"] and "3 on " in err
    assert run("optout", "remove", "alice")[1] == "@alice: removed\n"
    assert run("optout", "remove", "alice")[1] == "@alice: was not on the list\n"
    assert len(yaml.safe_load((tmp_path / "optout.yaml").read_text())) == 2


FIX = "each entry is account (such as x:alice or bsky:alice.example.com), date, reason (and a Bluesky did)"
BROKEN = [  # the list's text, what the one line says after "the opt-out list "
    ("{not: [a list", "line 2: is not valid YAML (did not find expected ',' or ']'); fix the syntax"),
    ("- {date: x}\n", "entry 1 ({'date': 'x'}): names no account; " + FIX),
    ("- {account: null}\n", "entry 1 ({'account': None}): names no account; " + FIX),
    ("- account: [1, 2]\n", "entry 1 ({'account': [1, 2]}): names no account; " + FIX),
    ("- account: x:a\n- account: 'not an account!'\n", "entry 2 ({'account': 'not an account!'}): 'not an account!'"),
    ("- {account: x:a, accont: x:b}\n", "entry 1 ({'account': 'x:a', 'accont': 'x:b'}): has an unknown key 'accont'"),
    ("- x:alice\n", "entry 1 ('x:alice'): is not a mapping; " + FIX),
    ("account: x:alice\n", "is dict, not a list of entries; " + FIX),
    ("- {account: x:alice, did: 'did:plc:alicealicealicealiceabcd'}\n", "entry 1 ("),
    ("- {account: x:alice, date: 2026}\n", "entry 1 ({'account': 'x:alice', 'date': 2026}): its date and reason"),
    ("- {account: x:a}\n- {account: x:a, account: x:b}\n", "line 2: 'account' is set twice (lines 2 and 2)"),
    ("- " * 150 + "x\n", "line 1: is nested more than 100 levels deep"),
]


@pytest.mark.parametrize("text, message", BROKEN, ids=[t[:24] for t, _ in BROKEN])
def test_a_broken_optout_list_is_refused_whole_naming_the_file_and_the_entry(run, tmp_path, text, message):
    (tmp_path / "optout.yaml").write_text(text)
    code, out, err = run("fetch", "--archive", str(EXAMPLE))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith(f"hf-tweets: error: {tmp_path / 'optout.yaml'}: the opt-out list {message}")
    assert err.endswith("; nothing was done\n") and raw_files(tmp_path) == []


# -- an entry means the person, in every spelling ------------------------------------------------------------------

SPELLINGS = ["x:Pixel_Poet", "pixel_poet", "@pixel_poet", "X:pixel_poet", "x:@pixel_poet", "twitter:pixel_poet"]
SPELLINGS += [" x:pixel_poet", "@Pixel_Poet "]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_entry_is_the_person(run, tmp_path, spelling):
    opted_out(tmp_path, spelling)
    code, _, err = run("fetch", "--archive", str(EXAMPLE))
    assert code == 1 and f"@pixel_poet {REFUSED}" in err and raw_files(tmp_path) == []
    assert run("optout", "add", "pixel_poet") == (0, "@pixel_poet: on the list already\n", "")
    code, out, err = run("optout", "list")
    assert out == "@pixel_poet\t2026-11-20\tasked by e-mail\n" and err == f"1 on {tmp_path / 'optout.yaml'}\n"
    assert run("optout", "remove", "@PIXEL_POET")[1] == "@PIXEL_POET: removed\n"
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0


def test_two_entries_of_one_person_merge(run, tmp_path):
    opted_out(tmp_path, "x:Pixel_Poet", "pixel_poet", "@carol@Mastodon.Social", "mastodon:carol@mastodon.social")
    code, out, _ = run("optout", "list")
    assert out.splitlines() == [
        "@pixel_poet\t2026-11-20\tasked by e-mail",
        "@carol@mastodon.social\t2026-11-20\tasked by e-mail",
    ]
    assert run("optout", "add", "bob", "--reason", "mail")[0] == 0  # a save writes each person once
    entries = yaml.safe_load((tmp_path / "optout.yaml").read_text())
    assert [e["account"] for e in entries] == ["x:pixel_poet", "mastodon:carol@mastodon.social", "x:bob"]


def test_the_list_can_live_elsewhere(run, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TWEETS_OPTOUT", str(tmp_path / "shared" / "list.yaml"))
    assert run("optout", "add", "alice")[0] == 0
    assert (tmp_path / "shared" / "list.yaml").is_file() and not (tmp_path / "optout.yaml").exists()


# -- every command refuses an account on the list, before any work -----------------------------------------


def test_fetch_refuses_before_asking_the_api(run, tmp_path, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "not-used-because-nothing-is-asked")
    opted_out(tmp_path, "x:pixel_poet")
    code, _, err = run("fetch", "pixel_poet")  # no cassette: any request would fail the test with a network error
    assert code == 1 and f"@pixel_poet {REFUSED}" in err and "hf-tweets optout remove @pixel_poet" in err
    assert raw_files(tmp_path) == []


def test_fetch_of_an_archive_refuses_its_holder_on_the_list(run, tmp_path):
    opted_out(tmp_path, "x:pixel_poet")
    code, _, err = run("fetch", "--archive", str(EXAMPLE))
    assert code == 1 and f"@pixel_poet {REFUSED}" in err and raw_files(tmp_path) == []


def test_run_refuses_before_any_work(run, tmp_path):
    opted_out(tmp_path, "x:pixel_poet")
    code, _, err = run("run", "pixel_poet", "--base-model", "tiny", "--wandb", "off")
    assert code == 1 and REFUSED in err
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


def test_train_and_publish_refuse_a_record_of_a_listed_account(run, tmp_path, hub, card, tiny_model):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0 and run("prepare", "pixel_poet")[0] == 0
    opted_out(tmp_path, "x:pixel_poet")
    code, _, err = run("train", "pixel_poet", "--base-model", "tiny", "--wandb", "off")
    assert code == 1 and REFUSED in err and not (tmp_path / "out").exists()
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(tiny_model))
    assert code == 1 and REFUSED in err and hub.repo("huggingtweets/pixel_poet") is None


def test_republish_skips_a_listed_account_and_goes_on(run, hub, tmp_path, changed_template):
    opted_out(tmp_path, "x:bot1")
    code, out, _ = republish(run)
    assert code == 0, out
    assert f"skipped    huggingtweets/bot1: @bot1 {REFUSED}" in out
    assert [len(hub.repo(r).commits) for r in changed_template] == [3, 2, 3, 3, 3, 3]  # bot1 left as it was


# -- unpublish ---------------------------------------------------------------------------------------------------


def test_unpublish_makes_the_repo_private_and_keeps_the_account_out(run, hub, card, tiny_model, tmp_path):
    assert run("publish", "pixel_poet", "--model-dir", str(tiny_model))[0] == 0
    code, out, err = run("unpublish", "pixel_poet")
    assert code == 0, err
    assert out.splitlines() == [
        "huggingtweets/pixel_poet: made private",
        f"opt-out list {tmp_path / 'optout.yaml'}: added @pixel_poet",
    ]
    assert hub.repo("huggingtweets/pixel_poet").private
    assert load_record(card).published() is None  # republish does not count it as published
    entry = yaml.safe_load((tmp_path / "optout.yaml").read_text())[0]
    assert (entry["account"], entry["reason"]) == ("x:pixel_poet", "unpublished huggingtweets/pixel_poet")
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(tiny_model))
    assert code == 1 and "@pixel_poet is on the opt-out list since" in err  # never put back by accident
    assert run("unpublish", "pixel_poet")[1].splitlines()[1].endswith("none new (they were on it already)")


def test_unpublish_delete_removes_the_repo(run, hub, card, tiny_model):
    assert run("publish", "pixel_poet", "--model-dir", str(tiny_model))[0] == 0
    code, out, _ = run("unpublish", "pixel_poet", "--delete", "--reason", "the person asked")
    assert code == 0 and out.startswith("huggingtweets/pixel_poet: deleted")
    assert hub.repo("huggingtweets/pixel_poet") is None
    code, _, err = run("unpublish", "pixel_poet", "--delete")  # already gone: nothing to do, no error
    assert code == 0, err


def test_unpublish_lists_the_accounts_even_when_the_hub_refuses(run, hub, card, tiny_model, tmp_path, monkeypatch):
    assert run("publish", "pixel_poet", "--model-dir", str(tiny_model))[0] == 0
    monkeypatch.setenv("HF_TOKEN", hub.add_user("outsider"))
    code, _, err = run("unpublish", "pixel_poet")
    assert code == 1 and "403" in err and err.count("\n") == 1
    assert yaml.safe_load((tmp_path / "optout.yaml").read_text())[0]["account"] == "x:pixel_poet"


# -- the card says whose choice the model is ---------------------------------------------------------------------


def test_an_archive_is_its_holders_consent(run, tmp_path):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0
    profile = json.loads((tmp_path / "data" / "raw" / "pixel_poet.user.json").read_text())
    assert profile["consent"] == "self"
    assert run("prepare", "pixel_poet")[0] == 0
    record = load_record(tmp_path / "cards" / "pixel_poet.yaml")
    assert record.consent == "self"


@pytest.mark.parametrize(
    "consents, expected",
    [(["self"], "self"), (["permission", "self"], "permission"), (["self", "public", "permission"], "public")],
)
def test_a_model_is_as_consented_as_its_least_consented_account(consents, expected):
    from hf_tweets import consent

    assert consent.weakest(consents) == expected


CARD = [
    ("self", "These tweets were shared by the account holder: they come from an export of their own account.", False),
    ("permission", "These tweets are used with the permission of the person who wrote them.", False),
    ("public", "These are public tweets, read through the public API of X; the person who wrote them", True),
]


@pytest.mark.parametrize("consent, sentence, takedown", CARD, ids=[c[0] for c in CARD])
def test_the_card_says_it_in_plain_words_and_that_the_text_is_machine_made(consent, sentence, takedown):
    from hf_tweets.cards.check import check_readme_text
    from hf_tweets.cards.importer import import_card
    from hf_tweets.cards.render import render

    record = make_record(consent=consent)
    text = render(record)
    assert sentence in text
    assert "Everything this model writes is machine-generated: it was not written by Pixel Poet" in text
    assert ("`hf-tweets unpublish` takes it down in one command" in text) == takedown
    assert import_card(text) == record and check_readme_text(text, "README.md") == []


def test_records_made_before_consent_render_as_before(tmp_path):
    from hf_tweets.cards.render import render

    record = make_record()
    assert record.consent is None and "## Consent" not in render(record)
    save_record(record, tmp_path / "r.yaml")
    assert "consent" not in (tmp_path / "r.yaml").read_text()


# -- the table of refusals: one list for every command, whatever folder options are given ----------------------


REAL_EXPORT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "bluesky" / "repo-export"
REAL_DID = "did:plc:nhxcyu4ewwhl5pqil4dotqjo"  # the commit's DID in bnewbold.robocracy.org.car


def no_requests(tmp_path, *interactions):
    """A cassette holding ``interactions`` only: any other request fails the command (record mode none)."""
    path = tmp_path / "cassette.yaml"
    path.write_text(dump(list(interactions)), encoding="utf-8")
    match = ["method", "scheme", "host", "port", "path", "query"]
    return vcr.VCR(record_mode="none", match_on=match, ignore_localhost=True).use_cassette(
        str(path), allow_playback_repeats=False
    )


def made_nothing(tmp_path) -> bool:
    """Nothing stored, prepared, trained or carded anywhere in the test's folder (only the list and inputs)."""
    made = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix not in (".car", ".yaml") or "data" in p.parts]
    cards = [p for p in tmp_path.rglob("*.yaml") if p.parent.name == "cards"]
    return made == [] and cards == [] and not (tmp_path / "out").exists()


FOLDERS = ("--cards-dir", "proj/cards")
RUN = ("--base-model", "tiny", "--wandb", "off")
REFUSALS = [  # (listed as, command): each is refused with the list at proj/optout.yaml, before any request or file
    ("x:Pixel_Poet", ("fetch", "--archive", str(EXAMPLE), *FOLDERS)),
    ("pixel_poet", ("run", "--archive", str(EXAMPLE), *FOLDERS, *RUN)),
    ("@pixel_poet", ("fetch", "--from", "posts.jsonl", "--handle", "Pixel_Poet", *FOLDERS)),
    ("alice.bsky.social", ("fetch", "alice.bsky.social", *FOLDERS)),
    ("bsky:Alice.Bsky.Social", ("run", "alice.bsky.social", *FOLDERS, *RUN)),
    ("alice.bsky.social", ("run", "--archive", "alice.car", "--handle", "alice.bsky.social", *FOLDERS, *RUN)),
    (ALICE.did, ("fetch", "--archive", "alice.car", *FOLDERS)),
    (ALICE.did, ("fetch", "alice.bsky.social", *FOLDERS)),  # the profile is asked (its DID), nothing stored
    ("@alice@mastodon.social", ("run", "@Alice@Mastodon.Social", *FOLDERS, *RUN)),
]


@pytest.mark.parametrize("listed, command", REFUSALS, ids=[" ".join(c[:2]) + f" ({a})" for a, c in REFUSALS])
def test_every_command_refuses_a_listed_account_whatever_the_folders(run, tmp_path, listed, command):
    (tmp_path / "proj").mkdir()
    opted_out(tmp_path / "proj", listed)
    (tmp_path / "posts.jsonl").write_text('{"text": "a made-up post"}\n')
    write_car(tmp_path / "alice.car", ALICE)
    asked = listed == ALICE.did and command[0] == "fetch" and "alice.car" not in command  # only the API knows the DID
    profile = [get_profile(ALICE)] if asked else []
    with no_requests(tmp_path, *profile) as cassette:
        code, out, err = run(*command)
    assert (code, out) == (1, ""), err
    errors = [line for line in err.splitlines() if line.startswith("hf-tweets: error: ")]
    assert len(errors) == 1 and f"{tmp_path / 'proj' / 'optout.yaml'}: " in errors[0] and REFUSED in errors[0]
    assert cassette.play_count == len(profile)  # no request but the profile's (whose DID only it says)
    (tmp_path / "posts.jsonl").unlink()
    assert made_nothing(tmp_path)


def test_prepare_train_and_publish_read_the_list_of_their_cards_folder(run, tmp_path, hub, tiny_model):
    assert run("fetch", "--archive", str(EXAMPLE))[0] == 0
    assert run("prepare", "pixel_poet", *FOLDERS)[0] == 0
    (tmp_path / "proj" / "data").mkdir()  # the list beside proj/cards, not ./optout.yaml
    opted_out(tmp_path / "proj", "pixel_poet")
    for command in (("prepare", "pixel_poet"), ("train", "pixel_poet", *RUN)):
        code, _, err = run(*command, *FOLDERS)
        assert code == 1 and f"{tmp_path / 'proj' / 'optout.yaml'}: @pixel_poet {REFUSED}" in err, command
    code, _, err = run("publish", str(tmp_path / "proj" / "cards" / "pixel_poet.yaml"), "--model-dir", str(tiny_model))
    assert code == 0, err  # the record's path alone: ./optout.yaml (none), as before
    assert hub.repo("huggingtweets/pixel_poet") is not None
    code, _, err = run("publish", "pixel_poet", "--model-dir", str(tiny_model), *FOLDERS)
    assert code == 1 and REFUSED in err


# -- a Bluesky export is refused by its DID, learned when its handle went on the list ----------------------------


def test_optout_add_keeps_a_bluesky_handles_did_and_its_export_is_refused(run, tmp_path):
    with no_requests(tmp_path, get_profile(ALICE)) as cassette:
        code, out, err = run("optout", "add", "Alice.Bsky.Social", "--reason", "asked by e-mail")
    assert (code, out, err, cassette.play_count) == (0, "@alice.bsky.social: added\n", "", 1)
    entry = yaml.safe_load((tmp_path / "optout.yaml").read_text())[0]
    assert (entry["account"], entry["did"]) == ("bluesky:alice.bsky.social", ALICE.did)
    assert run("optout", "list")[1] == f"@alice.bsky.social\t{entry['date']}\tasked by e-mail\t{ALICE.did}\n"
    export = write_car(tmp_path / "alice.car", ALICE)
    for command in (("fetch", "--archive", str(export)), ("run", "--archive", str(export), *RUN)):
        code, _, err = run(*command)
        assert code == 1 and f"@{ALICE.did} is on the opt-out list since " in err, command
    assert made_nothing(tmp_path)
    assert run("optout", "remove", ALICE.did)[1] == f"@{ALICE.did}: removed\n"  # the DID names the entry too
    assert yaml.safe_load((tmp_path / "optout.yaml").read_text()) == []


def test_a_did_learned_later_is_added_to_the_entry(run, tmp_path, monkeypatch):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("HF_TWEETS_BLUESKY_APPVIEW", f"http://127.0.0.1:{port}")  # nothing listens there
    code, out, err = run("optout", "add", "alice.bsky.social")  # the handle goes on the list all the same
    monkeypatch.delenv("HF_TWEETS_BLUESKY_APPVIEW")
    assert (code, out) == (0, "@alice.bsky.social: added\n")
    assert err.startswith("warning: @alice.bsky.social: its DID could not be learned (") and err.count("\n") == 1
    assert "optout add did:plc:..." in err
    with no_requests(tmp_path, get_profile(ALICE)):
        code, out, _ = run("optout", "add", "alice.bsky.social")
    assert out == "@alice.bsky.social: on the list already; its DID is recorded now\n"
    assert yaml.safe_load((tmp_path / "optout.yaml").read_text())[0]["did"] == ALICE.did


@pytest.mark.skipif(not REAL_EXPORT.exists(), reason="needs /work/shared/fixtures")
def test_a_real_export_of_a_listed_handle_is_refused(run, tmp_path):
    holder = Person(REAL_DID, "bnewbold.robocracy.org", "now roaming free")
    with no_requests(tmp_path, get_profile(holder)):
        assert run("optout", "add", "bnewbold.robocracy.org")[0] == 0
    code, _, err = run("fetch", "--archive", str(REAL_EXPORT / "bnewbold.robocracy.org.car"))
    assert code == 1 and f"@{REAL_DID} is on the opt-out list since " in err and raw_files(tmp_path) == []


def test_unpublish_names_the_other_bots_of_the_same_account_and_all_takes_them_down(run, hub, tiny_model, tmp_path):
    for name in ("p1", "p2", "p3"):  # as a batch leaves them: three bots of one account
        save_record(make_record(name=name), tmp_path / "cards" / f"{name}.yaml")
        assert run("publish", name, "--model-dir", str(tiny_model))[0] == 0
    code, out, err = run("unpublish", "p2")
    assert code == 0, err
    assert out.splitlines() == [
        "huggingtweets/p2: made private",
        f"opt-out list {tmp_path / 'optout.yaml'}: added @pixel_poet",
        "still up, from the same accounts: huggingtweets/p1, huggingtweets/p3; take them down too with"
        " hf-tweets unpublish p2 --all",
    ]
    assert [hub.repo(f"huggingtweets/{n}").private for n in ("p1", "p2", "p3")] == [False, True, False]
    code, out, err = run("unpublish", "p2", "--all")
    assert code == 0, err
    assert out.splitlines()[:3] == [
        "huggingtweets/p2: made private",
        "huggingtweets/p1: made private",
        "huggingtweets/p3: made private",
    ]
    assert [hub.repo(f"huggingtweets/{n}").private for n in ("p1", "p2", "p3")] == [True, True, True]
    assert all(load_record(tmp_path / "cards" / f"{n}.yaml").published() is None for n in ("p1", "p2", "p3"))
