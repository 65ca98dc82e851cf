"""Model files: a model description as YAML, TOML or JSON text, read and written by one set of functions.

`gengo models show MODEL --format F` writes a built-in model with `dumps`; `gengo gen --model FILE` reads it
back with `load`, so the file reproduces the model's data byte for byte. TOML has no null: None values of
tables are left out there (every None in a model is a default).
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}  # file suffix -> format


def format_of(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def _no_nulls(value):
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if any(v is None for v in value):
            raise ValueError("TOML cannot hold a null inside a list; write the model as YAML or JSON")
        return [_no_nulls(v) for v in value]
    return value


def dumps(data: dict, fmt: str) -> str:
    """A model's data (`Model.model_dump(mode="json")` or a dict of that shape) as the text of a file."""
    if fmt == "json":
        return json.dumps(data, indent=1) + "\n"
    if fmt == "yaml":
        return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=120)
    if fmt == "toml":
        import tomli_w

        return tomli_w.dumps(_no_nulls(data))
    raise ValueError(f"unknown model file format {fmt!r}; use one of yaml, toml, json")


def loads(text: str, fmt: str) -> dict:
    """The data of a model file; ValueError (a yaml.YAMLError, TOMLDecodeError or JSONDecodeError) when malformed."""
    if fmt == "json":
        data = json.loads(text)
    elif fmt == "toml":
        data = tomllib.loads(text)
    else:
        try:
            data = yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as e:
            raise ValueError(" ".join(str(e).split())) from None
    if not isinstance(data, dict):
        raise ValueError("a model file holds one mapping (name, tables, ...) at its top")
    return data
