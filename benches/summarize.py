#!/usr/bin/env python3
"""Prints criterion's results for benches/evaluate.rs as a markdown table.

    python3 benches/summarize.py [CRITERION_DIR]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion.
Each row is one size and question: the median time per question (criterion's time per
iteration divided by the questions in it) and the spread as the median's 95% confidence
interval and the median absolute deviation.
"""

import json
import os
import sys
from pathlib import Path

SIZES = ["small", "medium", "large", "huge"]


def unit(seconds):
    for name, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or name == "ns":
            return name, scale
    return "ns", 1e-9


def main():
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    rows = []
    for estimates in sorted(root.glob("**/new/estimates.json")):
        bench_dir = estimates.parent
        meta = json.loads((bench_dir / "benchmark.json").read_text())
        group = meta.get("group_id", "")
        if group not in SIZES:
            continue
        name = meta.get("function_id") or ""
        throughput = meta.get("throughput") or {}
        per = throughput.get("Elements") or throughput.get("elements") or 1
        data = json.loads(estimates.read_text())
        median = data["median"]["point_estimate"] / per / 1e9
        low = data["median"]["confidence_interval"]["lower_bound"] / per / 1e9
        high = data["median"]["confidence_interval"]["upper_bound"] / per / 1e9
        mad = data["median_abs_dev"]["point_estimate"] / per / 1e9
        rows.append((SIZES.index(group), group, name, per, median, low, high, mad))
    rows.sort(key=lambda row: (row[0], row[2]))
    print("| size | question | per iteration | median | 95% CI of the median | MAD |")
    print("|---|---|---|---|---|---|")
    for _, group, name, per, median, low, high, mad in rows:
        label, scale = unit(median)
        print(
            f"| {group} | {name} | {per:,} | {median / scale:.3g} {label} "
            f"| {low / scale:.3g}–{high / scale:.3g} {label} | {mad / scale:.2g} {label} |"
        )


if __name__ == "__main__":
    main()
