"""``python -m hf_tweets``: the same as the ``hf-tweets`` command."""

from hf_tweets.cli import main

if __name__ == "__main__":
    main()
