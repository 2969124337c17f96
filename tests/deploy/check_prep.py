#!/usr/bin/env python3
"""hqml prep's transform against hqml run's preprocessing and against scikit-learn, and the stages it feeds
(hqml kernel / hqml train --transform, hqml predict on raw rows) against hqml run's model.

On breast_cancer.csv (tests/realdata/make_datasets.py), 4 qubits:
  1. `hqml run` with one grid point (C 1, feature scale 0.5; the id column dropped): its training and test rows (metrics.json's split)
     are written to train.csv / test.csv as the original lines, in the split's order.
  2. `hqml prep --train train.csv --test test.csv` fits the transform on the training rows only. Its arrays
     (standardize mean/scale, PCA mean/components, min-max data_min/data_max) equal those in hqml run's
     model, bit for bit; and its train.csv / test.csv equal scikit-learn's StandardScaler -> PCA(4) ->
     MinMaxScaler((0, pi)) fitted on the same training rows, to 1e-9 (PCA's signs aligned: hqml makes each
     component's largest coefficient positive).
  3. `hqml train --transform` with hqml run's C and feature scale, then `hqml predict` on the raw test rows:
     the same predictions as `hqml predict` with hqml run's model and as hqml run's own test predictions, the
     decision values to 1e-9. The kernel of `hqml kernel --transform` (raw rows) equals that of `hqml kernel`
     on prep's train.csv (angles), and `hqml train --gram` on it gives the same model's predictions.
  4. A transform that is not one (a model folder, a corrupted array, an edited version) is refused with one
     line naming the file, exit 2.
Usage: check_prep.py HQML DATA_CSV WORK_DIR
"""
import json
import math
import pathlib
import shutil
import subprocess
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, StandardScaler

QUBITS, C, SCALE, LABEL = 4, 1.0, 0.5, "diagnosis"
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
        print(f"check_prep: FAIL: {message}")
    return ok


def hqml(*args, expect_rc=0):
    r = subprocess.run([HQML, *map(str, args)], capture_output=True, text=True, timeout=900)
    if r.returncode != expect_rc:
        raise SystemExit(f"check_prep: FAIL: hqml {' '.join(map(str, args))}: exit {r.returncode}, expected "
                         f"{expect_rc}:\n{r.stdout}{r.stderr}")
    return r


def model_arrays(folder):
    meta = json.loads((folder / "model.json").read_text())
    return meta, {name: np.load(folder / a["file"]) for name, a in meta["arrays"].items()}


def read_predictions(path):
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    return header, [r[1] for r in rows], np.array([[float(v) for v in r[2:]] for r in rows])


def main():
    global HQML
    if len(sys.argv) != 4:
        sys.exit("usage: check_prep.py HQML DATA_CSV WORK_DIR")
    HQML, data, work = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)

    # 1. hqml run, one grid point, its split.
    run = work / "run"
    hqml("run", "--data", data, "--label", LABEL, "--drop", "id", "--qubits", QUBITS, "--C", C, "--feature-scales", SCALE,
         "--grid-extensions", 0, "--folds", 3, "--seed", 7, "--no-assess", "--out", run)
    metrics = json.loads((run / "metrics.json").read_text())
    check(metrics["quantum"]["hyperparameters"] == {"C": C, "feature_scale": SCALE},
          f"hqml run chose {metrics['quantum']['hyperparameters']}, not the one grid point")
    lines = data.read_text().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    split = metrics["split"]
    train_csv, test_csv = work / "train.csv", work / "test.csv"
    train_csv.write_text(header + "".join(body[i] for i in split["train_rows"]))
    test_csv.write_text(header + "".join(body[i] for i in split["test_rows"]))

    # 2. hqml prep on the training rows.
    prep = work / "prep"
    hqml("prep", "--train", train_csv, "--test", test_csv, "--label", LABEL, "--drop", "id", "--qubits", QUBITS,
         "--out", prep)
    t_meta, t = model_arrays(prep / "transform")
    m_meta, m = model_arrays(run / "model")
    check(t_meta["kind"] == "hqml-transform" and t_meta["format_version"] == 1, f"transform kind {t_meta['kind']}")
    check(t_meta["preprocessing"] == m_meta["preprocessing"],
          f"steps {t_meta['preprocessing']} vs hqml run's {m_meta['preprocessing']}")
    for name in ("standardize.mean", "standardize.scale", "pca.mean", "pca.components", "min_max.data_min",
                 "min_max.data_max"):
        check(name in t and name in m and np.array_equal(t[name], m[name]),
              f"{name}: prep's transform differs from hqml run's preprocessing")
    check(t_meta["inputs"]["feature_names"] == m_meta["inputs"]["feature_names"], "feature names differ")
    print(f"check_prep: transform arrays equal hqml run's model, bit for bit "
          f"({len(t_meta['inputs']['feature_names'])} features -> {QUBITS} angles)")

    # scikit-learn on the same rows.
    names = header.strip().split(",")
    feat = [i for i, n in enumerate(names) if n not in (LABEL, "id")]
    raw_train = np.array([[float(r.split(",")[i]) for i in feat] for r in (body[j] for j in split["train_rows"])])
    raw_test = np.array([[float(r.split(",")[i]) for i in feat] for r in (body[j] for j in split["test_rows"])])
    std = StandardScaler().fit(raw_train)
    pca = PCA(n_components=QUBITS, svd_solver="full").fit(std.transform(raw_train))
    signs = np.sign(pca.components_[np.arange(QUBITS), np.abs(pca.components_).argmax(axis=1)])
    comp = pca.components_ * signs[:, None]
    z_train = (std.transform(raw_train) - pca.mean_) @ comp.T
    z_test = (std.transform(raw_test) - pca.mean_) @ comp.T
    mm = MinMaxScaler((0, math.pi)).fit(z_train)
    want_train, want_test = mm.transform(z_train), mm.transform(z_test)
    check(np.allclose(t["pca.components"], comp, atol=1e-9), "PCA components differ from scikit-learn's")
    for name, want in (("train.csv", want_train), ("test.csv", want_test)):
        got_lines = (prep / name).read_text().splitlines()
        check(got_lines[0] == "x0,x1,x2,x3," + LABEL, f"{name} header {got_lines[0]!r}")
        got = np.array([[float(v) for v in r.split(",")[:QUBITS]] for r in got_lines[1:]])
        diff = float(np.abs(got - want).max())
        check(got.shape == want.shape and diff <= 1e-9, f"{name}: max difference {diff} from scikit-learn")
        print(f"check_prep: {name}: {got.shape[0]} rows equal scikit-learn's to {diff:.1e}")

    # 3. prep -> train -> predict on raw rows, against hqml run's model.
    model = work / "model"
    hqml("train", "--train", train_csv, "--transform", prep / "transform", "--C", C, "--feature-scale", SCALE,
         "--out", model)
    hqml("predict", "--model", model, "--data", test_csv, "--out", work / "p_prep.csv", "--metrics",
         work / "m_prep.json")
    hqml("predict", "--model", run / "model", "--data", test_csv, "--out", work / "p_run.csv")
    h1, pred1, dec1 = read_predictions(work / "p_prep.csv")
    h2, pred2, dec2 = read_predictions(work / "p_run.csv")
    check(h1 == h2, f"prediction headers differ: {h1} vs {h2}")
    check(pred1 == pred2, "predictions of the prep -> train model differ from hqml run's model's")
    check(pred1 == metrics["quantum"]["test_predictions"], "predictions differ from hqml run's test predictions")
    diff = float(np.abs(dec1 - dec2).max())  # decision values and probabilities
    check(dec1.shape == dec2.shape and diff <= 1e-9, f"decision values or probabilities differ by {diff}")
    m_prep = json.loads((work / "m_prep.json").read_text())
    check(abs(m_prep["accuracy"] - metrics["quantum"]["test_accuracy"]) < 1e-12,
          f"--metrics accuracy {m_prep['accuracy']} vs hqml run's {metrics['quantum']['test_accuracy']}")
    print(f"check_prep: prep -> train -> predict on {len(pred1)} raw test rows: the predictions of hqml run's "
          f"model (decision values and probabilities to {diff:.1e}), accuracy {m_prep['accuracy']:.4f}")

    hqml("kernel", "--train", train_csv, "--transform", prep / "transform", "--feature-scale", SCALE,
         "--out", work / "k_raw.npy")
    hqml("kernel", "--train", prep / "train.csv", "--label", LABEL, "--qubits", QUBITS, "--feature-scale", SCALE,
         "--out", work / "k_angles.npy")
    k_raw, k_angles = np.load(work / "k_raw.npy"), np.load(work / "k_angles.npy")
    check(k_raw.shape == (len(split["train_rows"]),) * 2 and np.array_equal(k_raw, k_angles),
          "hqml kernel --transform on raw rows differs from hqml kernel on prep's angles")
    hqml("train", "--train", train_csv, "--transform", prep / "transform", "--C", C, "--feature-scale", SCALE,
         "--gram", work / "k_raw.npy", "--out", work / "model_gram")
    hqml("predict", "--model", work / "model_gram", "--data", test_csv, "--out", work / "p_gram.csv")
    check(read_predictions(work / "p_gram.csv")[1] == pred1, "hqml train --gram predicts otherwise")
    # A kernel of other rows or another scale is refused.
    r = hqml("train", "--train", train_csv, "--transform", prep / "transform", "--C", C, "--feature-scale", 0.25,
             "--gram", work / "k_raw.npy", "--out", work / "model_bad", expect_rc=2)
    check("--gram" in r.stderr and len(r.stderr.strip().splitlines()) == 1, f"--gram mismatch: {r.stderr!r}")
    check(not (work / "model_bad").exists(), "a refused --gram left a model folder")
    print("check_prep: hqml kernel --transform (raw rows) equals hqml kernel on prep's angles; hqml train --gram "
          "fits the same model, and refuses a kernel of another feature scale")

    # 4. Transforms that are not.
    bad = work / "bad"
    shutil.copytree(prep / "transform", bad)
    arr = json.loads((bad / "model.json").read_text())["arrays"]["pca.components"]["file"]
    raw = bytearray((bad / arr).read_bytes())
    raw[-3] ^= 0xFF
    (bad / arr).write_bytes(bytes(raw))
    for label, folder, needle in (("a model folder", run / "model", "is not an hqml transform"),
                                  ("a corrupted array", bad, "checksum mismatch"),
                                  ("a missing folder", work / "nowhere", "not a model directory")):
        r = hqml("train", "--train", train_csv, "--transform", folder, "--out", work / "m_bad", expect_rc=2)
        check(needle in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"--transform {label}: {r.stderr!r} (expected one line with {needle!r})")
    meta = json.loads((prep / "transform" / "model.json").read_text())
    meta["transform"]["version"] = 99
    edited = work / "edited"
    shutil.copytree(prep / "transform", edited)
    (edited / "model.json").write_text(json.dumps(meta))
    r = hqml("kernel", "--train", train_csv, "--transform", edited, "--out", work / "k.npy", expect_rc=2)
    check("transform version 99 is not supported" in r.stderr, f"an unknown version: {r.stderr!r}")
    print("check_prep: a model folder, a corrupted array, a missing folder and an unknown version are refused")

    if failures:
        return 1
    print("check_prep: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
