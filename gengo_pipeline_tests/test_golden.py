"""Golden checksums (tpchgen-rs style): a tiny dataset of every model keeps its exact bytes, so a speed-up
that changes a single value is caught. After an intended change of the data, regenerate the file with
`python -m gengo_pipeline_tests.test_golden` and say why in the commit. Values that go through exp/log/cos
could differ in the last bit on another CPU or numpy build, so the file holds for this platform."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import file_hashes, gengo

GOLDEN = Path(__file__).with_name("data") / "golden_checksums.json"
MODELS = ("ecommerce", "financial", "medical", "ecommerce-ds")
ARGS = ("--days", "2", "--scale", "0.02", "--format", "csv,parquet,json", "--seed", "3", "--no-progress",
        "--partition-by", "day")  # two days of every model (ecommerce-ds's months would need a month)


def generate(model: str, out: Path) -> dict[str, str]:
    gengo("gen", "--model", model, *ARGS, "--out", str(out))
    return file_hashes(out / model)


@pytest.mark.parametrize("model", MODELS)
def test_tiny_dataset_keeps_its_bytes(tmp_path: Path, model: str):
    want = json.loads(GOLDEN.read_text())[model]
    got = generate(model, tmp_path)
    assert len(got) > 5 and set(got) == set(want), sorted(set(got) ^ set(want))[:5]
    changed = sorted(name for name in want if got[name] != want[name])
    assert not changed, f"{len(changed)} files changed, e.g. {changed[:5]}"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        golden = {m: generate(m, Path(tmp)) for m in MODELS}
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}: {sum(len(v) for v in golden.values())} files", file=sys.stderr)
