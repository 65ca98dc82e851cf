"""Encoders: a batch of rows -> the bytes of a CSV, Parquet or JSON Lines file, written to a storage sink."""
