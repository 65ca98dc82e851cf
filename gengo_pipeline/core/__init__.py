"""The pure generation core: numpy/polars/pyarrow only, importable without Dagster."""
