"""Google Benchmark's JSON output (run with --benchmark_report_aggregates_only) for the peer scripts."""
import json

_MS_PER_UNIT = {"ms": 1.0, "us": 1e-3, "ns": 1e-6, "s": 1e3}


def medians(path):
    """Yields (the run name's '/'-separated parts, median real time in ms, the whole record) per benchmark."""
    with open(path) as f:
        data = json.load(f)
    for b in data["benchmarks"]:
        if b.get("aggregate_name") == "median":
            yield b["run_name"].split("/"), b["real_time"] * _MS_PER_UNIT[b["time_unit"]], b
