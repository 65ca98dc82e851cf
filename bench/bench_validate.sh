#!/usr/bin/env bash
# gengo validate on a 1 GB ecommerce dataset (Parquet): seconds and peak RSS via /usr/bin/time -v.
# Usage: bench/bench_validate.sh [out_dir] [size]   (default /tmp/gengo-bench-validate, 1GB)
set -euo pipefail
OUT=${1:-/tmp/gengo-bench-validate}
SIZE=${2:-1GB}
if [ ! -f "$OUT/ecommerce/_manifest.json" ]; then
  gengo gen --model ecommerce --size "$SIZE" --format parquet --seed 42 --out "$OUT" --no-progress > /dev/null
fi
du -sh "$OUT/ecommerce"
/usr/bin/time -v gengo validate --input "$OUT/ecommerce" --model ecommerce > "$OUT/validate.txt" 2> "$OUT/time.txt" || true
tail -3 "$OUT/validate.txt" | head -1 || true
grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time|Exit status" "$OUT/time.txt"
grep -E "checks passed|failed" "$OUT/time.txt" || true
