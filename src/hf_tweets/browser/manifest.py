"""The try-it page's manifest (``bots.json``): which bots the page offers, and where their files and the browser
library come from. The page offers no bot that is not in it.

``space`` writes it from the records and the opt-out list (a bot that is private, unpublished or on the list is
never in it); ``demo`` writes one for a local model folder. The page (``page/app.js``) reads it beside itself.
Everything in it is data: the page puts each string into the document as text, never as markup.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

FORMAT = 1
FILE = "bots.json"
# The transformers.js a published page imports: pinned, the same version .ci/setup installs from npm for the tests.
TRANSFORMERS_JS_VERSION = "4.3.2"
TRANSFORMERS_JS_CDN = f"https://cdn.jsdelivr.net/npm/@huggingface/transformers@{TRANSFORMERS_JS_VERSION}/dist/"
TITLE = "Try the bots"


@dataclass(frozen=True)
class Bot:
    """One bot the page offers."""

    id: str  # NAMESPACE/NAME on the Hub (for the demo: the folder's name)
    title: str  # the accounts' display names, as the card's header shows them
    accounts: list[str]  # the accounts, each as its platform writes it (@pixel_poet, @alice@mastodon.social)
    card: str  # the card's URL (the demo: "" when there is none)
    consent: str  # the card's consent statement, or "" for a record made before hf-tweets asked
    onnx: bool  # whether the repo (or folder) has the browser copy (onnx/model_quantized.onnx)
    # The label the page shows with each text the bot writes (labels.MACHINE_LABEL): "" only in a manifest read back
    # from a Space published before issue 24, whose page does not show it.
    label: str = ""

    @classmethod
    def of_record(cls, record, id: str, *, card: str, onnx: bool, bot: str | None = None) -> Bot:
        """The entry of a bot with a record: names, accounts and consent as its card shows them; its texts labelled
        as written by ``bot`` (default: ``id``)."""
        from hf_tweets.cards import labels

        return cls(
            id=id,
            title=labels.LEGACY_NAMES_SEP.join(user.display_name for user in record.users),
            accounts=[str(account) for account in record.accounts],
            card=card,
            consent=labels.consent_of(record),
            onnx=onnx,
            label=labels.machine_label(bot or id),
        )

    @classmethod
    def of_folder(cls, name: str, *, onnx: bool) -> Bot:
        """The entry of a model folder without a record: its name, and its texts labelled with it."""
        from hf_tweets.cards import labels

        return cls(id=name, title=name, accounts=[], card="", consent="", onnx=onnx, label=labels.machine_label(name))


@dataclass(frozen=True)
class Manifest:
    """What the page reads: its bots, where their files resolve, and the library it loads."""

    bots: list[Bot]
    hub: str = "https://huggingface.co"  # where NAMESPACE/NAME/resolve/main/... is fetched from (env.remoteHost)
    local_models: str | None = None  # demo: a path on the page's own server that serves the folders (localModelPath)
    library: str = TRANSFORMERS_JS_CDN  # a folder (URL) holding transformers.js' browser bundle (transformers.min.js)
    wasm: str | None = None  # a folder holding onnxruntime-web's .wasm files; None: the library's own default
    title: str = TITLE
    format: int = FORMAT
    extra: dict = field(default_factory=dict)  # room for later fields: a newer page ignores what it does not know

    def to_json(self) -> str:
        """The file's text: keys in a fixed order, so the same bots give the same bytes (no commit when unchanged)."""
        data = asdict(self)
        data.pop("extra")
        return json.dumps(data | self.extra, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def ids(self) -> list[str]:
        return [bot.id for bot in self.bots]
