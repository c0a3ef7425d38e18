"""The model card metadata rules of the Hub's validate-yaml that hf-tweets' cards meet, with the Hub's messages.

The Hub checks a card's YAML with a schema (Joi) and answers each problem with the path of the value and what
is wrong ("model-index[0].results[0].metrics" must be an array), which huggingface_hub turns into
``ValueError("Invalid metadata in README.md.\\n- <message>")``. Checked here, as cards use them: ``base_model``
(a model id, or a list of them: never a local path), ``base_model_relation`` (one of four, and only with a
``base_model``), ``library_name`` (a string) and the ``model-index`` (a list of {name, results: [{task: {type},
dataset: {type, name}, metrics: [{type, value}]}]}). Every other key is accepted as it is.
"""

from __future__ import annotations

from typing import Any

from huggingface_hub.utils import HFValidationError, validate_repo_id

RELATIONS = ("adapter", "merge", "quantized", "finetune")
STRING, ARRAY, OBJECT, BOOLEAN, ANY = "string", "array", "object", "boolean", None
# key -> (required, kind, schema of its items or fields)
_TASK = {"type": (True, STRING, None), "name": (False, STRING, None)}
_DATASET = {
    "type": (True, STRING, None),
    "name": (True, STRING, None),
    "config": (False, STRING, None),
    "split": (False, STRING, None),
    "revision": (False, STRING, None),
    "args": (False, ANY, None),
}
_METRIC = {
    "type": (True, STRING, None),
    "value": (True, ANY, None),
    "name": (False, STRING, None),
    "config": (False, STRING, None),
    "args": (False, ANY, None),
    "verified": (False, BOOLEAN, None),
    "verifyToken": (False, STRING, None),
}
_RESULT = {
    "task": (True, OBJECT, _TASK),
    "dataset": (True, OBJECT, _DATASET),
    "metrics": (True, ARRAY, _METRIC),
    "source": (False, OBJECT, None),
}
_MODEL = {"name": (True, STRING, None), "results": (True, ARRAY, _RESULT)}


def problems(metadata: dict[str, Any]) -> list[str]:
    """Every problem of a model card's metadata, each as the Hub words it."""
    found = _base_model(metadata) + _relation(metadata)
    if "library_name" in metadata:
        found += _walk("library_name", metadata["library_name"], STRING, None)
    if "model-index" in metadata:
        found += _walk("model-index", metadata["model-index"], ARRAY, _MODEL)
    return found


def _base_model(metadata: dict[str, Any]) -> list[str]:
    value = metadata.get("base_model")
    if value is None:
        return []
    if isinstance(value, str):
        return _model_id("base_model", value)
    if not isinstance(value, list):
        return ['"base_model" must be one of [string, array]']
    found = []
    for i, item in enumerate(value):
        found += (
            _model_id(f"base_model[{i}]", item) if isinstance(item, str) else [f'"base_model[{i}]" must be a string']
        )
    return found


def _model_id(path: str, value: str) -> list[str]:
    try:
        validate_repo_id(value)  # namespace/name or a legacy name: a path (./x, /tmp/x, ../x) is neither
    except HFValidationError:
        return [f'"{path}" with value "{value}" is not valid. Use a model id from https://hf.co/models.']
    return []


def _relation(metadata: dict[str, Any]) -> list[str]:
    if "base_model_relation" not in metadata:
        return []
    if metadata["base_model_relation"] not in RELATIONS:
        return [f'"base_model_relation" must be one of [{", ".join(RELATIONS)}]']
    if metadata.get("base_model") is None:
        return ['"base_model_relation" missing required peer "base_model"']
    return []


def _walk(path: str, value: Any, kind: str | None, schema: dict | None) -> list[str]:
    """The problems of ``value`` at ``path``: its kind, then its items (an array) or its fields (an object)."""
    wrong = _kind_problem(path, value, kind)
    if wrong or schema is None:
        return [wrong] if wrong else []
    if kind == ARRAY:
        return [p for i, item in enumerate(value) for p in _walk(f"{path}[{i}]", item, OBJECT, schema)]
    found = []
    for key, (required, sub_kind, sub_schema) in schema.items():
        if key in value:
            found += _walk(f"{path}.{key}", value[key], sub_kind, sub_schema)
        elif required:
            found.append(f'"{path}.{key}" is required')
    return found


def _kind_problem(path: str, value: Any, kind: str | None) -> str | None:
    checks = {STRING: str, ARRAY: list, OBJECT: dict, BOOLEAN: bool}
    if kind is None or isinstance(value, checks[kind]):
        return None
    return {
        STRING: f'"{path}" must be a string',
        ARRAY: f'"{path}" must be an array',
        OBJECT: f'"{path}" must be of type object',
        BOOLEAN: f'"{path}" must be a boolean',
    }[kind]
