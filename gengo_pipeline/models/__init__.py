"""The model registry: built-in models by name and alias, plus user models from a YAML, TOML or JSON file."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from ..errors import UnknownModelError
from ..registry import Registry
from ..engine.spec import Model
from .files import FORMATS, format_of, loads

BUILTIN = {"ecommerce": "ecommerce", "financial": "financial", "medical": "medical", "ecommerce-ds": "ecommerce_ds"}  # model name -> module under gengo_pipeline.models


def _loader(name: str, obj) -> Callable[[], Model]:
    """A plugin's `gengo.models` entry point names a Model or a function returning one."""
    return obj if callable(obj) and not isinstance(obj, Model) else (lambda: obj)


MODELS: Registry[Callable[[], Model]] = Registry("gengo.models", adopt=_loader)
for _name, _module in BUILTIN.items():
    MODELS.add(_name, lambda m=_module: importlib.import_module(f"{__name__}.{m}").MODEL)


def builtin_models() -> dict[str, Model]:
    """Every installed model by name: the ones gengo ships, then those plugins add (`model_origin` tells which)."""
    return {name: _builtin(name) for name in MODELS}


def model_origin(name: str) -> str:
    """"built-in", or the plugin distribution and version that declared the model."""
    return MODELS.origin(name)


def _builtin(name: str) -> Model:
    model = MODELS[name]()
    if not isinstance(model, Model):
        raise UnknownModelError(f"plugin model {name} ({MODELS.origin(name)}) is not a gengo Model", "fix or uninstall the plugin")
    return model


def resolve(name: str) -> Model:
    """A model by name, alias (case-insensitive) or path to a .yaml/.toml/.json model description."""
    key = name.strip().lower()
    if key in BUILTIN or key in MODELS:  # by name: load only that model (the others take about 0.1 s to build)
        return _builtin(key)
    for model in builtin_models().values():
        if key == model.name or key in model.aliases:
            return model
    path = Path(name)
    if format_of(path) and path.is_file():
        try:
            data = loads(path.read_text(), format_of(path))
            return Model.model_validate(data)
        except ValidationError as e:
            raise UnknownModelError(f"model file {path} is not a valid model description ({_where(e, data)})",
                                    "fix the file; `gengo models` lists the built-in models") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise UnknownModelError(f"model file {path} is not a valid model description ({str(e).splitlines()[0]})",
                                    "fix the file; `gengo models` lists the built-in models") from None
    known = ", ".join(f"{m.name} ({', '.join(m.aliases)})" for m in builtin_models().values())
    raise UnknownModelError(f"unknown model {name!r}", f"use one of: {known}, or a path to a model {'/'.join(FORMATS)} file")


def _where(error: ValidationError, data) -> str:
    """The first problem of a model file, located by table and column names, e.g.
    "tables[orders].columns[total].type: Field required"."""
    err = error.errors()[0]
    parts, node = [], data
    for loc in err["loc"]:
        name = None
        if isinstance(loc, int) and isinstance(node, list) and loc < len(node):
            node = node[loc]
            name = node.get("name") if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{name!r}]" if name is not None and parts else f"{parts[-1] if parts else ''}[{loc}]"
            continue
        node = node.get(loc) if isinstance(node, dict) else None
        parts.append(str(loc))
    msg = err["msg"].removeprefix("Value error, ")
    return f"{'.'.join(parts) or 'model'}: {msg}".replace("\n", " ")
