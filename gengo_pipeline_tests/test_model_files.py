"""Model files: every built-in model printed by `gengo models show` as YAML, TOML or JSON is the same model,
and `gengo gen --model FILE` on the YAML writes the golden checksums' bytes; malformed files are refused with
the file and the field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gengo_pipeline.cli.main import main
from gengo_pipeline.models import resolve

from .conftest import file_hashes, gengo
from .test_golden import ARGS, GOLDEN, MODELS


def show(capsys, model: str, fmt: str) -> str:
    assert main(["models", "show", model, "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_every_builtin_model_prints_as_a_file_of_the_same_model(tmp_path: Path, capsys, fmt: str):
    for name in MODELS:
        path = tmp_path / f"{name}.{fmt}"
        path.write_text(show(capsys, name, fmt))
        assert resolve(str(path)) == resolve(name), (name, fmt)


@pytest.mark.parametrize("model", MODELS)
def test_gen_from_the_printed_file_writes_the_same_bytes(tmp_path: Path, capsys, model: str):
    path = tmp_path / "model.yaml"
    path.write_text(show(capsys, model, "yaml"))
    args = list(ARGS)
    args[args.index("--format") + 1] = "parquet"  # the golden run's Parquet files: the formats encode the same rows
    gengo("gen", "--model", str(path), *args, "--out", str(tmp_path / "out"))
    got = file_hashes(tmp_path / "out" / model)
    want = {k: v for k, v in json.loads(GOLDEN.read_text())[model].items() if k.startswith("parquet/")}
    assert len(got) > 2 and got == want


def test_a_malformed_model_file_names_the_file_and_the_field(tmp_path: Path, capsys):
    table = resolve("medical").tables[1].name
    path = tmp_path / "broken.yaml"
    text = show(capsys, "medical", "yaml")
    assert f"\n- name: {table}\n" in text
    path.write_text(text.replace(f"\n- name: {table}\n", f"\n- name: {table}\n  rows_typo: 3\n", 1))
    out = tmp_path / "out"
    assert main(["gen", "--model", str(path), "--days", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and str(path) in err
    assert f"tables[{table!r}].rows_typo: Extra inputs are not permitted" in err
    assert not out.exists()
    path.write_text("name: [unclosed\n")
    assert main(["gen", "--model", str(path), "--days", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "while parsing" in err and len(err.strip().splitlines()) == 1

