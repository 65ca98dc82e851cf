"""gengo: a deterministic, streaming synthetic-data factory (core, models, CLI and Dagster adapters)."""

__version__ = "0.1.0"
