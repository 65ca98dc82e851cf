"""Naming conventions shared by every Dagster module: asset keys, groups, jobs and schedules per model."""
from __future__ import annotations

import re

import dagster as dg

from ..engine.spec import Model


def _name(model: Model | str) -> str:
    return model if isinstance(model, str) else model.name


def asset_key(model: Model | str, table: str) -> dg.AssetKey:
    """`<model>/<table>`, e.g. ecommerce/fact_orders_header or ecommerce-ds/store_sales ('-' is valid in keys)."""
    return dg.AssetKey([_name(model), table])


def model_key(model: Model | str) -> dg.AssetKey:
    """`<model>/`: the model's root asset, upstream of every table.

    Dagster 1.13 reads a bare `--select ecommerce/*` with its legacy parser as "asset `ecommerce/` and
    everything downstream" (AssetKey.from_user_string splits on "/", leaving an empty last part), so with
    this key the literal `ecommerce/*` selects exactly the model's assets.
    """
    return dg.AssetKey([_name(model), ""])


def group_name(model: Model | str) -> str:
    """Dagster names must match ^[A-Za-z0-9_]+$: ecommerce-ds -> ecommerce_ds."""
    return re.sub(r"[^A-Za-z0-9_]", "_", _name(model))


def job_name(model: Model | str) -> str:
    return f"{group_name(model)}_job"


def schedule_name(model: Model | str, by: str = "day") -> str:
    return f"{group_name(model)}_{'monthly' if by == 'month' else 'daily'}_schedule"
