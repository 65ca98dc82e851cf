"""Dagster adapter: assets, jobs, schedules and the resource built from the model descriptions."""
