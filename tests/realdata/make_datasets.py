#!/usr/bin/env python3
"""Writes the real-data CSVs that check_run.py runs `hqml run` on, from scikit-learn's bundled datasets
(no network) and its generators with fixed seeds, plus hostile variants of breast_cancer.csv for the
CSV reader and `hqml predict`.

Usage: make_datasets.py OUTDIR
Numbers are written with repr (shortest round trip), so the values hqml parses are the ones scikit-learn
sees when check_run.py reads the same file.
"""
import csv
import os
import sys

import numpy as np
from sklearn import datasets

# Each entry: file name -> label column; check_run.py and benchmarks/realdata.sh read this table.
LABELS = {
    "breast_cancer.csv": "diagnosis",
    "iris.csv": "species",
    "wine.csv": "class",
    "digits01.csv": "digit",
    "moons.csv": "label",
    "classification.csv": "label",
}
# The two breast-cancer feature columns swapped in breast_cancer_swapped.csv and the one removed from
# breast_cancer_missing_column.csv.
SWAPPED = ("mean radius", "worst concave points")
REMOVED = "mean area"


def fmt(v):
    if isinstance(v, (str, np.str_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def write(path, header, rows, sep=","):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=sep, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])


def table(x, names, labels, label_name, ids=False):
    header = (["id"] if ids else []) + list(names) + [label_name]
    rows = []
    for i, (xi, yi) in enumerate(zip(x, labels)):
        rows.append(([i + 1] if ids else []) + list(xi) + [yi])
    return header, rows


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_datasets.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    bc = datasets.load_breast_cancer()
    # scikit-learn's target 0 is malignant, 1 benign (bc.target_names == ['malignant', 'benign']).
    assert list(bc.target_names) == ["malignant", "benign"]
    diagnosis = [str(bc.target_names[t]) for t in bc.target]
    names = [str(n) for n in bc.feature_names]
    header, rows = table(bc.data, names, diagnosis, "diagnosis", ids=True)
    write(os.path.join(out, "breast_cancer.csv"), header, rows)
    write(os.path.join(out, "breast_cancer_semicolon.csv"), header, rows, sep=";")
    # The same data with two feature columns (and their headers) swapped.
    a, b = header.index(SWAPPED[0]), header.index(SWAPPED[1])
    perm = list(range(len(header)))
    perm[a], perm[b] = b, a
    write(os.path.join(out, "breast_cancer_swapped.csv"), [header[j] for j in perm],
          [[r[j] for j in perm] for r in rows])
    keep = [j for j in range(len(header)) if header[j] != REMOVED]
    write(os.path.join(out, "breast_cancer_missing_column.csv"), [header[j] for j in keep],
          [[r[j] for j in keep] for r in rows])
    # The rows in another order, a benign row first (the data set starts with malignant ones), so a
    # program that numbered the classes in order of appearance would swap them.
    order = np.random.default_rng(1).permutation(len(rows))
    first_benign = next(k for k, i in enumerate(order) if diagnosis[i] == "benign")
    order[[0, first_benign]] = order[[first_benign, 0]]
    write(os.path.join(out, "breast_cancer_reordered.csv"), header, [rows[i] for i in order])

    iris = datasets.load_iris()
    write(os.path.join(out, "iris.csv"),
          *table(iris.data, iris.feature_names, [str(iris.target_names[t]) for t in iris.target], "species"))

    wine = datasets.load_wine()
    write(os.path.join(out, "wine.csv"), *table(wine.data, wine.feature_names, [int(t) for t in wine.target], "class"))

    dg = datasets.load_digits()
    m = dg.target <= 1
    write(os.path.join(out, "digits01.csv"),
          *table(dg.data[m], dg.feature_names, [int(t) for t in dg.target[m]], "digit"))

    x, y = datasets.make_moons(n_samples=400, noise=0.25, random_state=0)
    write(os.path.join(out, "moons.csv"), *table(x, ["x1", "x2"], [int(t) for t in y], "label"))

    x, y = datasets.make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=0)
    write(os.path.join(out, "classification.csv"),
          *table(x, [f"f{j}" for j in range(x.shape[1])], [int(t) for t in y], "label"))

    for name in sorted(os.listdir(out)):
        if name.endswith(".csv"):
            with open(os.path.join(out, name)) as f:
                lines = f.read().splitlines()
            print(f"{name}: {len(lines) - 1} rows, {len(lines[0].split(';' if 'semicolon' in name else ','))} columns")


if __name__ == "__main__":
    main()
