#!/usr/bin/env python3
"""Reads the exposition metrics_sample prints with the Prometheus Python client's parser and checks every
family (name, type, help) and every sample (name, labels, value), in order, against the list below, which
mirrors tests/serve/metrics_sample.cpp: change both together. Then checks that altered copies of the text
(a wrong value, a non-cumulative bucket, an unescaped newline, a line missing, a family split in two) are
refused, so that a pass means something.

Usage: check_metrics.py METRICS_SAMPLE   (run with the serve venv's python: tests/python/setup-venv.sh serve)
"""
import math
import subprocess
import sys
from importlib.metadata import version

from prometheus_client.parser import text_string_to_metric_families

INF = math.inf
NAN = math.nan


def hist(name, labels, bounds, cumulative, total):
    """The samples of one histogram child: buckets (le as hqml spells it), _sum, _count."""
    out = [(name + "_bucket", {**labels, "le": le}, float(n)) for le, n in zip(bounds + ["+Inf"], cumulative)]
    return out + [(name + "_sum", labels, total), (name + "_count", labels, float(cumulative[-1]))]


HOSTILE_ROUTE = 'le"} 1\n# TYPE'
LATENCY_BOUNDS = ["0.001", "0.01", "0.1", "1"]
# The parser names a counter family without its _total; sample names keep it.
EXPECTED = [
    ("hqml_requests", "counter", "Requests answered, by model and status code.", [
        ("hqml_requests_total", {"model": "iris", "code": "200"}, 42.0),
        ("hqml_requests_total", {"model": 'quote"back\\slash\nnewline', "code": "500"}, 2.5),
        ("hqml_requests_total", {"model": "unicode \u00e9 \u96ea \U0001f680", "code": "200"}, 1.0),
    ]),
    ("hqml_errors", "counter", "Errors; none yet.", [("hqml_errors_total", {}, 0.0)]),
    ("hqml_read_bytes", "counter", "Bytes read: a backslash \\ and\na second line.",
     [("hqml_read_bytes_total", {}, 12345678901234.0)]),
    ("hqml_in_flight", "gauge", "Requests in flight, by pool.", [
        ("hqml_in_flight", {"pool": "a"}, 3.0),
        ("hqml_in_flight", {"pool": "b"}, -0.25),
    ]),
    ("hqml_tiny", "gauge", "A small value.", [("hqml_tiny", {}, 1.5e-7)]),
    ("hqml_huge", "gauge", "A large value.", [("hqml_huge", {}, 6.02e23)]),
    ("hqml_special", "gauge", "Values spelled as words.", [
        ("hqml_special", {"kind": "nan"}, NAN),
        ("hqml_special", {"kind": "neg"}, -INF),
        ("hqml_special", {"kind": "pos"}, INF),
    ]),
    ("hqml_latency_seconds", "histogram", "Request latency.",
     hist("hqml_latency_seconds", {"route": "/v2/models/x/infer"}, LATENCY_BOUNDS, [2, 2, 4, 4, 6],
          0.0005 + 0.001 + 0.05 + 0.05 + 2.0 + 1e9)
     + hist("hqml_latency_seconds", {"route": HOSTILE_ROUTE}, LATENCY_BOUNDS, [0, 1, 1, 1, 1], 0.01)),
    ("hqml_batch_size", "histogram", "Rows per batch.",
     hist("hqml_batch_size", {}, ["1", "2", "3", "4"], [1, 3, 3, 3, 4], 13.0)),
    ("hqml_model_info", "gauge", "The loaded model; its value is 1.", [
        ("hqml_model_info", {"model": "iris", "version": "3"}, 1.0),
        ("hqml_model_info", {"model": 'w\\e"i\nrd', "version": "0"}, 0.0),
    ]),
]


def same_value(a, b):
    # Exact: hqml prints the shortest digits that round-trip, so the double read back is the one written.
    return (math.isnan(a) and math.isnan(b)) or a == b


def check(text):
    """Every difference between the parsed text and EXPECTED, as lines; none when they agree."""
    errors = []
    if not text.endswith("\n") or "\r" in text:
        errors.append("the text must be lines ending in \\n, with no \\r")
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and friends on malformed lines
        return errors + [f"prometheus_client cannot parse the text: {type(e).__name__}: {e}"]
    got_names = [f.name for f in families]
    want_names = [e[0] for e in EXPECTED]
    if got_names != want_names:
        errors.append(f"families {got_names}, expected {want_names}")
    for fam, (name, typ, doc, samples) in zip(families, EXPECTED):
        if (fam.name, fam.type, fam.documentation) != (name, typ, doc):
            errors.append(f"family {(fam.name, fam.type, fam.documentation)!r}, expected {(name, typ, doc)!r}")
        if len(fam.samples) != len(samples):
            errors.append(f"{name}: {len(fam.samples)} samples, expected {len(samples)}")
        for s, (sname, labels, value) in zip(fam.samples, samples):
            if s.name != sname or s.labels != labels or not same_value(s.value, value) or s.timestamp is not None:
                errors.append(f"{name}: sample {(s.name, s.labels, s.value, s.timestamp)!r}, "
                              f"expected {(sname, labels, value, None)!r}")
    return errors


# (what an exporter bug would look like, text -> altered text); each must be refused.
MUTANTS = [
    ("a value changed", lambda t: t.replace('code="500"} 2.5\n', 'code="500"} 2.25\n')),
    ("buckets not cumulative", lambda t: t.replace('le="0.1"} 4\n', 'le="0.1"} 2\n')),
    ("help newline unescaped", lambda t: t.replace("and\\na second", "and\na second")),
    ("label quote unescaped", lambda t: t.replace('w\\\\e\\"i', 'w\\\\e"i')),
    ("+Inf bucket missing", lambda t: "".join(
        line for line in t.splitlines(True) if not line.startswith('hqml_batch_size_bucket{le="+Inf"}'))),
    ("a family written twice", lambda t: t + "# TYPE hqml_errors_total counter\nhqml_errors_total 0\n"),
]


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    run = subprocess.run([sys.argv[1]], capture_output=True, timeout=60)
    if run.returncode != 0:
        print(f"check_metrics: {sys.argv[1]} exited {run.returncode}: {run.stderr.decode(errors='replace')}")
        return 1
    try:
        text = run.stdout.decode("utf-8")  # strict: the exposition format is UTF-8
    except UnicodeDecodeError as e:
        print(f"check_metrics: the output is not UTF-8: {e}")
        return 1
    errors = check(text)
    for e in errors:
        print(f"check_metrics: {e}")
    for what, alter in MUTANTS:
        altered = alter(text)
        if altered == text:
            errors.append(f"mutant '{what}' changes nothing: the sample's text changed, update MUTANTS")
            print(f"check_metrics: {errors[-1]}")
        elif not check(altered):
            errors.append(f"mutant '{what}' passes the check")
            print(f"check_metrics: {errors[-1]}")
    if errors:
        print("check_metrics: the exposition was:\n" + text)
        return 1
    count = sum(len(e[3]) for e in EXPECTED)
    print(f"check_metrics: {len(EXPECTED)} families and {count} samples read back by prometheus_client "
          f"{version('prometheus_client')}; {len(MUTANTS)} altered copies refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
