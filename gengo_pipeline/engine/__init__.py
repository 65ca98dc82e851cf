"""The pure engine: a model description and counter-based generators -> rows of any table (numpy, polars,
pyarrow only; importable without Dagster, the CLI or any storage)."""

# The version of the bytes the engine writes for given settings. Bump it with every change that alters
# generated values (the golden checksums test records it): a dataset written by another output version has
# another identity, so gengo never mixes the two in one dataset.
OUTPUT_VERSION = 4
