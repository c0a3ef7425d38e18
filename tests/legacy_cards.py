# ruff: noqa: E501 - the templates are quoted verbatim, long lines and all
"""Model cards exactly as huggingtweets' own generator wrote them, for made-up users (test fixtures).

huggingtweets filled a template (its ``model_card/README.md``) with ``str.replace``, one placeholder after
another in a fixed order, so a display name that contains a later placeholder's word was rewritten too
(a user named "Mr. RETWEETS" appears as "Mr. 2999"; "ROBOT" in a 2-user card as "ROCYBORG"). The columns of a
multi-user card follow the order the handles were typed; the repo name is the handles sorted and joined by '-'.
Three generations are built here, as the templates and the notebook code of that project had them:

* ``card_2020_exbert``: mid-2020, the exbert tag and button, a padded table, "Intended uses & limitations";
* ``card_2020``: prose card with Tailwind's stylesheet, an HTML <table> of counts, the usage snippet in
  <pre><code> with <span> highlighting, W&B links on app.wandb.ai, "Intended uses & limitations";
* ``card_2021``: the single-avatar card ("<name> 🤖 AI Bot", "@handle bot", a "Data | Quantity" table);
* ``card_cyborg``: the last generation, three avatar slots (unused ones hidden with ``display:none`` and an
  empty ``url('')``), the names line, "@<repo name>", a table with one column per user, for 1 to 3 users.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LegacyUser:
    """A made-up account as huggingtweets saw it."""

    handle: str
    name: str
    avatar: str  # the 400x400 profile picture URL
    counts: tuple[int, int, int, int]  # downloaded, retweets, short, kept


def fill(template: str, values: list[tuple[str, str]]) -> str:
    """huggingtweets' create_model_card: every placeholder replaced everywhere, in order."""
    for key, value in values:
        template = template.replace(key, value)
    return template


FRONT = """---
language: en
thumbnail: SOCIAL_LINK
tags:
- huggingtweets
widget:
- text: "My dream is"
---
"""

ABOUT = """## About

*Built by Boris Dayma*

[![Follow](https://img.shields.io/twitter/follow/borisdayma?style=social)](https://twitter.com/borisdayma)

For more details, visit the project repository.

[![GitHub stars](https://img.shields.io/github/stars/borisdayma/huggingtweets?style=social)](https://github.com/borisdayma/huggingtweets)
"""

TEMPLATE_2020 = (
    FRONT
    + """
<link rel="stylesheet" href="https://unpkg.com/@tailwindcss/typography@0.2.x/dist/typography.min.css">

<style>
@media (prefers-color-scheme: dark) {
  .prose { color: #E2E8F0 !important; }
  .prose h2, .prose h3, .prose a, .prose thead { color: #F7FAFC !important; }
}
</style>

<section class='prose'>

<div>
<div style="width: 132px; height:132px; border-radius: 50%; background-size: cover; background-image: url('USER_PROFILE')">
</div>
<div style="margin-top: 8px; font-size: 19px; font-weight: 800">USER_NAME 🤖 AI Bot </div>
<div style="font-size: 15px; color: #657786">@USER_HANDLE bot</div>
</div>

I was made with [huggingtweets](https://github.com/borisdayma/huggingtweets).

Create your own bot based on your favorite user with [the demo](https://colab.research.google.com/github/borisdayma/huggingtweets/blob/master/huggingtweets-demo.ipynb)!

## How does it work?

The model uses the following pipeline.

![pipeline](https://github.com/borisdayma/huggingtweets/blob/master/img/pipeline.png?raw=true)

To understand how the model was developed, check the [W&B report](https://app.wandb.ai/wandb/huggingtweets/reports/HuggingTweets-Train-a-model-to-generate-tweets--VmlldzoxMTY5MjI).

## Training data

The model was trained on [@USER_HANDLE's tweets](https://twitter.com/USER_HANDLE).

<table style='border-width:0'>
<thead style='border-width:0'>
<tr style='border-width:0 0 1px 0; border-color: #CBD5E0'>
<th style='border-width:0'>Data</th>
<th style='border-width:0'>Quantity</th>
</tr>
</thead>
<tbody style='border-width:0'>
<tr style='border-width:0 0 1px 0; border-color: #E2E8F0'>
<td style='border-width:0'>Tweets downloaded</td>
<td style='border-width:0'>TWEETS_DL</td>
</tr>
<tr style='border-width:0 0 1px 0; border-color: #E2E8F0'>
<td style='border-width:0'>Retweets</td>
<td style='border-width:0'>RETWEETS</td>
</tr>
<tr style='border-width:0 0 1px 0; border-color: #E2E8F0'>
<td style='border-width:0'>Short tweets</td>
<td style='border-width:0'>SHORT_TWEETS</td>
</tr>
<tr style='border-width:0'>
<td style='border-width:0'>Tweets kept</td>
<td style='border-width:0'>TWEETS_KEPT</td>
</tr>
</tbody>
</table>

[Explore the data](WANDB_PREPROCESS/artifacts), which is tracked with [W&B artifacts](https://docs.wandb.com/artifacts) at every step of the pipeline.

## Training procedure

The model is based on a pre-trained [GPT-2](https://huggingface.co/gpt2) which is fine-tuned on @USER_HANDLE's tweets.

Hyperparameters and metrics are recorded in the [W&B training run](WANDB_TRAIN) for full transparency and reproducibility.

At the end of training, [the final model](WANDB_TRAIN/artifacts)) is logged and versioned.

## Intended uses & limitations

### How to use

You can use this model directly with a pipeline for text generation:

<pre><code><span style="color:#03A9F4">from</span> transformers <span style="color:#03A9F4">import</span> pipeline
generator = pipeline(<span style="color:#FF9800">'text-generation'</span>,
                     model=<span style="color:#FF9800">'huggingtweets/USER_HANDLE'</span>)
generator(<span style="color:#FF9800">"My dream is"</span>, num_return_sequences=<span style="color:#8BC34A">5</span>)</code></pre>


### Limitations and bias

The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).

In addition, the data present in the user's tweets further affects the text generated by the model.

## About

*Built by Boris Dayma*

</section>

[![Follow](https://img.shields.io/twitter/follow/borisdayma?style=social)](https://twitter.com/borisdayma)

<section class='prose'>
For more details, visit the project repository.
</section>

[![GitHub stars](https://img.shields.io/github/stars/borisdayma/huggingtweets?style=social)](https://github.com/borisdayma/huggingtweets)

<!--- random size file RANDOM_SZ -->
"""
)

TEMPLATE_EXBERT = """---
language: en
thumbnail: https://github.com/borisdayma/huggingtweets/blob/master/img/logo_share.png?raw=true
tags:
- exbert
- huggingtweets
widget:
- text: "My dream is"
---

<div>
<div style="width: 132px; height:132px; border-radius: 50%; background-size: cover; background-image: url('USER_PROFILE')">
</div>
<div style="margin-top: 8px; font-size: 19px; font-weight: 800">USER_NAME 🤖 AI Bot </div>
<div style="font-size: 15px; color: #657786">@USER_HANDLE bot</div>
</div>

I was made with [huggingtweets](https://github.com/borisdayma/huggingtweets).

Create your own bot based on your favorite user with [the demo](https://colab.research.google.com/github/borisdayma/huggingtweets/blob/master/huggingtweets-demo.ipynb)!

<a href="https://huggingface.co/exbert/?model=huggingtweets/USER_HANDLE&modelKind=autoregressive&sentence=I%20love%20huggingtweets!&layer=11">
	<img width="300px" src="https://hf-dinosaur.huggingface.co/exbert/button.png">
</a>

## How does it work?

The model uses the following pipeline.

![pipeline](https://github.com/borisdayma/huggingtweets/blob/master/img/pipeline.png?raw=true)

To understand how the model was developed, check the [W&B report](https://bit.ly/2TGXMZf).

## Training data

The model was trained on [@USER_HANDLE's tweets](https://twitter.com/USER_HANDLE).

| Data              | Quantity     |
|-------------------|--------------|
| Tweets downloaded | TWEETS_DL    |
| Retweets          | RETWEETS     |
| Short tweets      | SHORT_TWEETS |
| Tweets kept       | TWEETS_KEPT  |

[Explore the data](WANDB_PREPROCESS/artifacts), which is tracked with [W&B artifacts](https://docs.wandb.com/artifacts) at every step of the pipeline.

## Training procedure

The model is based on a pre-trained [GPT-2](https://huggingface.co/gpt2) which is fine-tuned on @USER_HANDLE's tweets for 4 epochs.

Hyperparameters and metrics are recorded in the [W&B training run](WANDB_TRAIN).

## Intended uses & limitations

#### How to use

You can use this model directly with a pipeline for text generation:

```python
from transformers import pipeline
generator = pipeline('text-generation', model='huggingtweets/USER_HANDLE')
generator("My dream is", max_length=50, num_return_sequences=5)
```

#### Limitations and bias

The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).

In addition, the data present in the user's tweets further affects the text generated by the model.

## About

*Built by Boris Dayma*

[![Follow](https://img.shields.io/twitter/follow/borisdayma?style=social)](https://twitter.com/borisdayma)

For more details, visit the project repository.

[![GitHub stars](https://img.shields.io/github/stars/borisdayma/huggingtweets?style=social)](https://github.com/borisdayma/huggingtweets)
"""

TAIL_2021 = """[Explore the data](WANDB_PREPROCESS/artifacts), which is tracked with [W&B artifacts](https://docs.wandb.com/artifacts) at every step of the pipeline.

## Training procedure

The model is based on a pre-trained [GPT-2](https://huggingface.co/gpt2) which is fine-tuned on @USER_HANDLE's tweets.

Hyperparameters and metrics are recorded in the [W&B training run](WANDB_TRAIN) for full transparency and reproducibility.

At the end of training, [the final model](WANDB_TRAIN/artifacts) is logged and versioned.

## How to use

You can use this model directly with a pipeline for text generation:

```python
from transformers import pipeline
generator = pipeline('text-generation',
                     model='huggingtweets/USER_HANDLE')
generator("My dream is", num_return_sequences=5)
```

## Limitations and bias

The model suffers from [the same limitations and bias as GPT-2](https://huggingface.co/gpt2#limitations-and-bias).

In addition, the data present in the user's tweets further affects the text generated by the model.

"""  # what the 2021 and the last generation share, from the data link to About

TEMPLATE_2021 = (
    FRONT
    + """
<div>
<div style="width: 132px; height:132px; border-radius: 50%; background-size: cover; background-image: url('USER_PROFILE')">
</div>
<div style="margin-top: 8px; font-size: 19px; font-weight: 800">USER_NAME 🤖 AI Bot </div>
<div style="font-size: 15px">@USER_HANDLE bot</div>
</div>

I was made with [huggingtweets](https://github.com/borisdayma/huggingtweets).

Create your own bot based on your favorite user with [the demo](https://colab.research.google.com/github/borisdayma/huggingtweets/blob/master/huggingtweets-demo.ipynb)!

## How does it work?

The model uses the following pipeline.

![pipeline](https://github.com/borisdayma/huggingtweets/blob/master/img/pipeline.png?raw=true)

To understand how the model was developed, check the [W&B report](https://app.wandb.ai/wandb/huggingtweets/reports/HuggingTweets-Train-a-model-to-generate-tweets--VmlldzoxMTY5MjI).

## Training data

The model was trained on [@USER_HANDLE's tweets](https://twitter.com/USER_HANDLE).

| Data | Quantity |
| --- | --- |
| Tweets downloaded | TWEETS_DL |
| Retweets | RETWEETS |
| Short tweets | SHORT_TWEETS |
| Tweets kept | TWEETS_KEPT |

"""
    + TAIL_2021
    + ABOUT
)

_SLOT = (
    '\n        <div\n{indent}style="display:DISPLAY_{n}; margin-left: 4px; margin-right: 4px; width: 92px;'
    " height:92px; border-radius: 50%; background-size: cover; background-image:"
    ' url(&#39;USER_PROFILE_{n}&#39;)">\n        </div>'
)
TEMPLATE_CYBORG = (
    FRONT
    + """
<div class="inline-flex flex-col" style="line-height: 1.5;">
    <div class="flex">"""
    + "".join(_SLOT.format(n=n, indent="\t\t\t" if n == 1 else " " * 12) for n in (1, 2, 3))
    + """
    </div>
    <div style="text-align: center; margin-top: 3px; font-size: 16px; font-weight: 800">🤖 AI BOT 🤖</div>
    <div style="text-align: center; font-size: 16px; font-weight: 800">USER_NAME</div>
    <div style="text-align: center; font-size: 14px;">@USER_HANDLE</div>
</div>

I was made with [huggingtweets](https://github.com/borisdayma/huggingtweets).

Create your own bot based on your favorite user with [the demo](https://colab.research.google.com/github/borisdayma/huggingtweets/blob/master/huggingtweets-demo.ipynb)!

## How does it work?

The model uses the following pipeline.

![pipeline](https://github.com/borisdayma/huggingtweets/blob/master/img/pipeline.png?raw=true)

To understand how the model was developed, check the [W&B report](https://wandb.ai/wandb/huggingtweets/reports/HuggingTweets-Train-a-Model-to-Generate-Tweets--VmlldzoxMTY5MjI).

## Training data

The model was trained on tweets from USER_NAME.

| Data | TABLE_USER |
| --- | TABLE_SPLIT |
| Tweets downloaded | TWEETS_DL |
| Retweets | RETWEETS |
| Short tweets | SHORT_TWEETS |
| Tweets kept | TWEETS_KEPT |

"""
    + TAIL_2021
    + ABOUT
)

PREPROCESS, TRAIN = "https://app.wandb.ai/wandb/huggingtweets/runs/pre1x2y3", "https://app.wandb.ai/wandb/huggingtweets/runs/trn4z5w6"


def social_link(repo: str) -> str:
    return f"https://www.huggingtweets.com/{repo}/1614095900280/predictions.png"


def _single(user: LegacyUser, *, social: bool = True) -> list[tuple[str, str]]:
    """The single-user code's placeholders, in its replacement order."""
    d, r, s, k = user.counts
    values = [("USER_HANDLE", user.handle), ("USER_NAME", user.name), ("USER_PROFILE", user.avatar)]
    values += [("SOCIAL_LINK", social_link(user.handle))] if social else []
    values += [("WANDB_PREPROCESS", PREPROCESS), ("TWEETS_DL", str(d)), ("RETWEETS", str(r))]
    return values + [("SHORT_TWEETS", str(s)), ("TWEETS_KEPT", str(k)), ("WANDB_TRAIN", TRAIN)]


def card_2020(user: LegacyUser) -> str:
    """A 2020-generation card: the single-user code's replacement order."""
    return fill(TEMPLATE_2020, [*_single(user), ("RANDOM_SZ", " " * 17)])


def card_2020_exbert(user: LegacyUser) -> str:
    """A mid-2020 card: the exbert tag and button, a padded table, "Intended uses & limitations"."""
    return fill(TEMPLATE_EXBERT, _single(user, social=False))


def card_2021(user: LegacyUser) -> str:
    """A 2021 single-avatar card (the same replacement order as 2020)."""
    return fill(TEMPLATE_2021, _single(user))


def repo_name(users: list[LegacyUser]) -> str:
    """huggingtweets' repo name: the handles, lower-cased, sorted, joined by '-'."""
    return "-".join(sorted(u.handle.lower() for u in users))


def card_cyborg(typed: list[LegacyUser]) -> str:
    """A last-generation card for 1-3 users, columns in the order the handles were ``typed``."""
    values: list[tuple[str, str]] = []
    for n in (1, 2, 3):
        used = n <= len(typed)
        values += [
            (f"USER_PROFILE_{n}", typed[n - 1].avatar if used else ""),
            (f"DISPLAY_{n}", "inherit" if used else "none"),
        ]
    repo = repo_name(typed)
    column = [list(map(str, u.counts)) for u in typed]
    values += [
        ("USER_HANDLE", repo),
        ("USER_NAME", " & ".join(u.name for u in typed)),
        ("BOT", "BOT" if len(typed) == 1 else "CYBORG"),
        ("SOCIAL_LINK", social_link(repo)),
        ("TABLE_USER", " | ".join(u.name for u in typed)),
        ("TABLE_SPLIT", " | ".join(["---"] * len(typed))),
        ("TWEETS_DL", " | ".join(c[0] for c in column)),
        ("RETWEETS", " | ".join(c[1] for c in column)),
        ("SHORT_TWEETS", " | ".join(c[2] for c in column)),
        ("TWEETS_KEPT", " | ".join(c[3] for c in column)),
        ("WANDB_PREPROCESS", PREPROCESS),
        ("WANDB_TRAIN", TRAIN),
    ]
    return fill(TEMPLATE_CYBORG, values)


def avatar(n: int) -> str:
    return f"https://pbs.twimg.com/profile_images/{1000 + n}/av{n}_400x400.jpg"


ALPHA = LegacyUser("alpha_one", "Alpha One", avatar(1), (3200, 400, 300, 2500))
MID = LegacyUser("mid_1", "Mid 🌙", avatar(2), (1200, 100, 100, 1000))
ZETA = LegacyUser("Zeta_Z", "Zeta", avatar(3), (900, 90, 10, 800))
