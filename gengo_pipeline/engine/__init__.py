"""The pure engine: a model description and counter-based generators -> rows of any table (numpy, polars,
pyarrow only; importable without Dagster, the CLI or any storage)."""
