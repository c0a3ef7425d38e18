"""``--executor ray``: each bot a Ray task asking for the CPUs/GPUs it needs (``cpus:``, ``gpus:`` in the file).

``--ray-address`` joins an existing cluster; without it, a Ray instance already started in this process is
used, or a local one is started (and shut down at the end). How workers get hf-tweets: on a local instance they
run this very Python environment; on a cluster Ray installs ``--package-spec`` (default: this hf-tweets version)
into each task's runtime environment (Ray's ``runtime_env={"pip": [...]}``), unless it is ``none`` (the nodes
have it already). Only non-secret settings travel in the runtime environment (HF_ENDPOINT and the like); a
token never does: workers use the token of their node (HF_TOKEN or ``hf auth login`` there; on a local instance,
this process's environment, which Ray's workers inherit).

Each task runs in a fresh worker process (``max_calls=1``: torch's memory is given back between bots). A task
whose worker died (killed, out of memory, node lost) failed for a reason of the worker: the batch tries it once
more, on another node when the cluster has one with room.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import asdict

from hf_tweets.errors import HfTweetsError
from hf_tweets.fleet.base import Attempt
from hf_tweets.fleet.spec import Bot
from hf_tweets.fleet.worker import bot_from_json, bot_to_json, run_bot
from hf_tweets.folders import Folders

PASSED_ON = ("HF_ENDPOINT", "HF_HUB_DISABLE_XET", "HF_HUB_OFFLINE", "WANDB_MODE")


def _task(bot_json: str, folders: str) -> dict:
    import ray

    attempt = run_bot(bot_from_json(bot_json), Folders.from_json(folders))
    attempt.worker = ray.get_runtime_context().get_node_id()
    return asdict(attempt)


class RayExecutor:
    name = "ray"

    def __init__(self, folders: Folders, address: str | None = None, package_spec: str | None = None):
        try:
            import ray
        except ImportError:
            raise HfTweetsError(
                "--executor ray needs Ray, which is not installed", fix="pip install 'hf-tweets[ray]'"
            ) from None

        from hf_tweets import __version__

        self.ray, self.folders = ray, folders
        self.started = False
        if not ray.is_initialized():
            env: dict[str, object] = {"env_vars": {k: os.environ[k] for k in PASSED_ON if k in os.environ}}
            if address and (package_spec or "").lower() != "none":
                env["pip"] = [package_spec or f"hf-tweets=={__version__}"]
            ray.init(address=address, runtime_env=env, include_dashboard=False, log_to_driver=False)
            self.started = address is None  # a cluster we joined stays up; a local instance we started does not
        self.remote = ray.remote(max_calls=1, max_retries=0)(_task)

    def submit(self, bot: Bot, avoid: str | None = None) -> Future[Attempt]:
        options: dict = {"num_cpus": bot.cpus, "num_gpus": bot.gpus}
        elsewhere = self._another_node(avoid, bot) if avoid else None
        if elsewhere:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(elsewhere, soft=True)
        task = self.remote.options(**options).remote(bot_to_json(bot), self.folders.to_json())
        outcome: Future[Attempt] = Future()
        task.future().add_done_callback(lambda done: outcome.set_result(self._attempt(done, bot)))
        return outcome

    def _attempt(self, done: Future, bot: Bot) -> Attempt:
        try:
            return Attempt(**done.result())
        except self.ray.exceptions.RayError as error:  # the worker died or was lost: not the bot's doing
            kind = type(error).__name__
            node = getattr(error, "node_id", None) or ""
            text = " ".join(str(error).split())
            if isinstance(error, self.ray.exceptions.OutOfMemoryError):
                reason = "Ray killed its worker: the node ran out of memory"
            elif isinstance(error, (self.ray.exceptions.WorkerCrashedError, self.ray.exceptions.NodeDiedError)):
                reason = f"its Ray worker died ({kind})"
            else:
                reason = f"Ray: {kind}: {text[:200]}"
            return Attempt(bot.key, "failed", reason, worker=str(node), retry=True)

    def _another_node(self, avoid: str, bot: Bot) -> str | None:
        """An alive node other than ``avoid`` that has the CPUs and GPUs the bot asks for."""
        for node in self.ray.nodes():
            room = node.get("Resources", {})
            if (
                node.get("Alive")
                and node["NodeID"] != avoid
                and room.get("CPU", 0) >= bot.cpus
                and room.get("GPU", 0) >= bot.gpus
            ):
                return node["NodeID"]
        return None

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()
