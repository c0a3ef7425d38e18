"""republish: only what changed is pushed, hand edits are respected, and a rerun goes on where it stopped."""

from __future__ import annotations

import json

import pytest
from huggingface_hub import HfApi

from hf_tweets.cards.recordfile import load_record
from hf_tweets.hub.pacing import CommitBucket

from conftest import SEED_CARDS, republish, seed_repos


def commits(hub, repo_ids):
    return [len(hub.repo(r).commits) for r in repo_ids]


def readme(hub, repo_id):
    return hub.store.read_blob(hub.repo(repo_id).head.files["README.md"].sha256).decode()


def test_nothing_changed_costs_one_listing(run, hub, cards):
    repos = seed_repos(hub, cards, 12)
    before, requests = commits(hub, repos), len(hub.requests)
    code, out, _ = republish(run)
    assert code == 0 and out.startswith("12 repos in ") and "12 unchanged" in out
    assert commits(hub, repos) == before
    assert hub.requests[requests:] == [("GET", "/api/models?author=huggingtweets")]


def test_template_change_is_one_small_commit_per_repo(run, hub, cards, changed_template):
    repos = changed_template
    before, requests = commits(hub, repos), len(hub.requests)
    code, out, _ = republish(run, "--jobs", "3")
    assert code == 0 and "6 changed" in out
    assert commits(hub, repos) == [c + 1 for c in before]
    assert all("collection team" in readme(hub, r) for r in repos)
    assert (len(hub.requests) - requests - 1) / 6 <= 3  # listing aside: validate-yaml + commit per repo
    assert load_record(cards / "bot0.yaml").published().commit == hub.repo(repos[0]).head.sha
    code, out, _ = republish(run)
    assert "6 unchanged" in out and commits(hub, repos) == [c + 1 for c in before]


def test_hand_edited_cards_are_skipped_unless_forced(run, hub, cards, changed_template):
    repos = changed_template
    api = HfApi()
    for repo in repos[:2]:
        api.upload_file(
            path_or_fileobj=b"---\nlanguage: en\n---\n# Edited by hand\n", path_in_repo="README.md", repo_id=repo
        )
    code, out, _ = republish(run)
    assert code == 0 and "4 changed" in out and "2 skipped" in out
    assert (
        f"skipped    {repos[0]}: README.md was edited on the Hub since hf-tweets published it (--force overwrites)"
        in out
    )
    assert readme(hub, repos[0]).endswith("# Edited by hand\n")
    code, out, _ = republish(run, "--force")
    assert "2 changed" in out and "4 unchanged" in out and "collection team" in readme(hub, repos[0])


def test_dry_run_shows_diffs_and_pushes_nothing(run, hub, cards, changed_template):
    before = commits(hub, changed_template)
    code, out, _ = republish(run, "--dry-run", "--only", "bot1")
    assert code == 0 and out.startswith("dry run: 1 repo in ") and "1 would change" in out
    assert "+Maintained by the collection team." in out and "--- huggingtweets/bot1/README.md" in out
    assert commits(hub, changed_template) == before


def test_create_pr_leaves_main_alone(run, hub, cards, changed_template):
    heads = [hub.repo(r).head.sha for r in changed_template]
    code, out, _ = republish(run, "--create-pr", "--limit", "2")
    assert code == 0 and "2 changed" in out and "/discussions/1" in out
    assert [hub.repo(r).head.sha for r in changed_template] == heads
    assert [len(hub.repo(r).prs) for r in changed_template] == [1, 1, 0, 0, 0, 0]


def test_a_rerun_after_failures_goes_on_and_never_commits_twice(run, hub, cards, changed_template):
    hub.fail("POST", r"/huggingtweets/bot[34]/commit/", 503, times=2 * 5)
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 1 and "4 changed" in out and "2 failed" in out
    assert "the commit failed 5 times (last: HTTP 503)" in out
    counts = commits(hub, changed_template)
    code, out, _ = republish(run)
    assert code == 0 and "2 changed, 4 unchanged" in out
    assert commits(hub, changed_template) == [c + (1 if i in (3, 4) else 0) for i, c in enumerate(counts)]
    journal = (cards.parent / "data" / "republish" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 6 and all(json.loads(line)["status"] == "changed" for line in journal)


def test_a_crash_after_the_commit_is_not_committed_again(run, hub, cards, changed_template, monkeypatch):
    import hf_tweets.cards.recordfile as module  # republish saves through recordfile.update_record

    real = module.save_record

    def crash_on_bot1(record, path):
        if path.name == "bot1.yaml":
            raise OSError(28, "No space left on device")
        return real(record, path)

    monkeypatch.setattr(module, "save_record", crash_on_bot1)
    code, out, _ = republish(run, "--only", "bot1")
    assert code == 1 and "No space left on device" in out
    after_first = commits(hub, changed_template)
    monkeypatch.setattr(module, "save_record", real)
    code, out, _ = republish(run, "--only", "bot1")
    assert code == 0 and "changed    huggingtweets/bot1: done in an earlier run" in out
    assert commits(hub, changed_template) == after_first  # the journal knew: nothing sent again
    assert load_record(cards / "bot1.yaml").published().commit == hub.repo("huggingtweets/bot1").head.sha


def test_one_repo_failing_never_stops_the_batch(run, hub, cards, changed_template):
    HfApi().delete_repo(changed_template[2])
    (cards / "broken.yaml").write_text("users: []\n")
    hub.fail("POST", r"/huggingtweets/bot4/commit/", 403, body={"error": "no rights"})
    code, out, _ = republish(run, "--json")
    lines = {json.loads(line)["repo_id"]: json.loads(line) for line in out.splitlines()}
    assert code == 1
    assert (
        lines["huggingtweets/bot2"]["status"] == "failed" and "not on the Hub" in lines["huggingtweets/bot2"]["reason"]
    )
    assert lines["huggingtweets/bot4"]["status"] == "failed" and "(403)" in lines["huggingtweets/bot4"]["reason"]
    assert lines["broken"]["status"] == "unreadable"
    assert sum(v["status"] == "changed" for v in lines.values()) == 4


def test_rate_limit_waits_for_retry_after(run, hub, cards, changed_template, monkeypatch):
    import hf_tweets.hub.client

    waits = []
    monkeypatch.setattr(hf_tweets.hub.client, "sleep", waits.append)
    hub.fail("POST", r"/commit/", 429, headers={"Retry-After": "30"})
    code, out, _ = republish(run, "--jobs", "1")
    assert code == 0 and "6 changed" in out and waits == [30.0]


def test_from_hub_imports_legacy_cards_and_saves_records(run, hub, tmp_path):
    api = HfApi()
    for seed in sorted(SEED_CARDS.iterdir()):
        repo = "huggingtweets/" + seed.name.removesuffix(".README.md")
        api.create_repo(repo)
        api.upload_file(path_or_fileobj=seed.read_bytes(), path_in_repo="README.md", repo_id=repo)
    api.create_repo("huggingtweets/no-card")
    code, out, _ = republish(run, "--from-hub", "huggingtweets", "--save-records")
    assert code == 0 and "3 changed" in out and "1 unreadable" in out
    assert "hf-tweets" in readme(hub, "huggingtweets/mike_massive")  # now our template
    record = load_record(tmp_path / "cards" / "mike_massive.yaml")
    assert (
        record.users[0].display_name == "mike insane"
        and record.published().commit == hub.repo("huggingtweets/mike_massive").head.sha
    )
    code, out, _ = republish(run, "--from-hub", "huggingtweets")
    assert "3 unchanged" in out


def test_a_local_thumbnail_goes_out_with_the_card(run, hub, cards, changed_template, tmp_path):
    from hf_tweets.cards.thumbnail import write_thumbnail

    record = load_record(cards / "bot0.yaml")
    write_thumbnail(record, ["My dream is soup."], tmp_path / "out" / "bot0" / "predictions.png", avatars=[None])
    code, out, _ = republish(run)
    assert code == 0 and "6 changed" in out
    head = hub.repo("huggingtweets/bot0").head
    assert "predictions.png" in head.files and head.files["predictions.png"].lfs
    assert f"thumbnail: {hub.url}/huggingtweets/bot0/resolve/main/predictions.png" in readme(hub, "huggingtweets/bot0")
    assert "predictions.png" not in hub.repo("huggingtweets/bot1").head.files


@pytest.mark.parametrize(
    ("per_hour", "eta"),
    [
        (120, 0.0),  # 45 more commits: within the hour's 120, nothing to wait for
        (20, 2 * 3600.0),  # 45 more at 20 an hour: 20 now, 20 in an hour, 5 in two
        (0, 0.0),  # no ceiling
    ],
)
def test_the_eta_accounts_for_the_commit_ceiling(per_hour, eta):
    from hf_tweets.hub.republish import Outcome
    from hf_tweets.hub.republish_view import Progress

    progress = Progress(enabled=False)
    progress.start(total=100, pacer=CommitBucket(per_hour, clock=lambda: 0.0))
    for i in range(10):
        progress.advance(Outcome(f"ns/r{i}", "changed" if i % 2 else "unchanged"))
    assert progress.eta() == pytest.approx(eta, abs=60)  # half the cards change: 45 more commits
