#!/usr/bin/env python3
"""Evidence that `hqml run` and `hqml predict` are right on real data, checked against scikit-learn.

Usage: check_run.py HQML DATADIR WORKDIR
  HQML     the hqml program
  DATADIR  the CSVs make_datasets.py wrote
  WORKDIR  where the runs write their output folders (W/NAME)

Every data set is run as `HQML run --data F --label L --qubits 4 --seed 0 --threads 2 --out W/NAME`, and
its metrics.json (format_version 2) is checked on the SAME split hqml used (split.train_rows/test_rows):
the classical RBF SVM against scikit-learn's SVC with hqml's C and gamma and against GridSearchCV over
hqml's grid, the logistic regression against scikit-learn's, the majority baseline, every model's
metrics against sklearn.metrics, the McNemar comparisons against scipy, the positive label and its
independence of row order, reproducibility, and `hqml predict` on hostile copies of the CSV.
Prints one line per check, "ok: ..." or "FAIL: ...", then "N passed, M failed"; exits 1 on any failure.
"""
import csv
import json
import math
import os
import subprocess
import sys
import warnings

import numpy as np
from scipy.stats import binomtest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_datasets import LABELS, REMOVED  # noqa: E402

warnings.filterwarnings("ignore")  # sklearn's zero-division and convergence chatter; the checks say what matters

TOL = 1e-9
COMMON = ["--qubits", "4", "--seed", "0", "--threads", "2"]
# name, file, extra options
RUNS = [
    ("breast_cancer", "breast_cancer.csv", ["--drop", "id"]),
    ("iris", "iris.csv", []),
    ("wine", "wine.csv", []),
    ("digits01", "digits01.csv", []),
    ("moons", "moons.csv", []),
    ("classification", "classification.csv", []),
]
MODELS = [("quantum", lambda m: m["quantum"]), ("classical", lambda m: m["classical"]),
          ("logistic_regression", lambda m: m["baselines"]["logistic_regression"]),
          ("majority", lambda m: m["baselines"]["majority"])]


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, msg):
        self.passed += 1
        print(f"ok: {msg}", flush=True)

    def fail(self, msg):
        self.failed += 1
        print(f"FAIL: {msg}", flush=True)

    def check(self, cond, msg, why=""):
        if cond:
            self.ok(msg)
        else:
            self.fail(f"{msg}: {why}" if why else msg)
        return cond

    def guard(self, msg, fn):
        """Runs one check whose own code may meet a malformed metrics.json: a missing key is a failure."""
        try:
            fn()
        except (KeyError, TypeError, IndexError, ValueError, AssertionError) as e:
            self.fail(f"{msg}: metrics.json is not as format_version 2 says ({type(e).__name__}: {e})")


C = Checks()


def label(v):
    """A class label as text: hqml writes labels as strings; numbers are accepted as their integer text."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def close(a, b, tol=TOL):
    return a is not None and b is not None and abs(float(a) - float(b)) <= tol


def acc_tol(n_test):
    # 2 points, or one test row where one row is worth more than that.
    return max(0.02, 1.0 / n_test) + 1e-12


def run(args, timeout=900):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def last_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


class Dataset:
    def __init__(self, path, sep=","):
        with open(path, newline="") as f:
            rows = list(csv.reader(f, delimiter=sep))
        self.header, self.rows = rows[0], rows[1:]

    def column(self, name):
        j = self.header.index(name)
        return [r[j] for r in self.rows]

    def matrix(self, names):
        idx = [self.header.index(n) for n in names]
        return np.array([[float(r[j]) for j in idx] for r in self.rows])


def hqml_run(hqml, name, data, label_col, extra, out):
    """Runs `hqml run`; returns metrics.json's object or None (after a FAIL line)."""
    args = [hqml, "run", "--data", data, "--label", label_col, "--out", out] + COMMON + extra
    rc, _, err = run(args)
    if rc != 0:
        C.fail(f"{name}: `{' '.join(args[1:])}` exited {rc}: {last_line(err)}")
        return None
    try:
        with open(os.path.join(out, "metrics.json")) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        C.fail(f"{name}: no readable metrics.json in {out}: {e}")
        return None


def expected_class_names(values):
    u = sorted(set(values))
    try:
        return sorted(u, key=float)
    except ValueError:
        return u


# ---------------------------------------------------------------------------------------------- dataset


def check_dataset(name, m, ds, label_col, dropped):
    def body():
        d, s = m["dataset"], m["split"]
        y = ds.column(label_col)
        n = len(ds.rows)
        want_features = [h for h in ds.header if h != label_col and h not in dropped]
        classes = expected_class_names(y)
        counts = [y.count(c) for c in classes]
        train, test = s["train_rows"], s["test_rows"]
        problems = []
        if m.get("format_version") != 2:
            problems.append(f"format_version {m.get('format_version')}")
        if d["n_rows"] != n:
            problems.append(f"n_rows {d['n_rows']}, the CSV has {n}")
        if d["feature_names"] != want_features or d["n_features"] != len(want_features):
            problems.append(f"features {d['feature_names']} ({d['n_features']}), expected {want_features}")
        if [label(c) for c in d["class_names"]] != classes:
            problems.append(f"class_names {d['class_names']}, expected {classes} (sorted)")
        if d["class_counts"] != counts:
            problems.append(f"class_counts {d['class_counts']}, the CSV has {counts}")
        if sorted(train + test) != list(range(n)):
            problems.append("train_rows and test_rows are not a partition of the data rows")
        if len(train) != d["n_train"] or len(test) != d["n_test"]:
            problems.append(f"n_train/n_test {d['n_train']}/{d['n_test']} vs {len(train)}/{len(test)} rows")
        if s["stratified"]:
            yt = [y[i] for i in test]
            for c, k in zip(classes, counts):
                want = k * len(test) / n
                if abs(yt.count(c) - want) > 1.0 + 1e-9:
                    problems.append(f"stratified split has {yt.count(c)} test rows of {c}, expected about {want:.1f}")
        t = m["task"]
        binary = len(classes) == 2
        if t["type"] != ("binary" if binary else "multiclass") or t["n_classes"] != len(classes):
            problems.append(f"task {t['type']} with {t['n_classes']} classes for {len(classes)} classes")
        if not binary and t.get("positive_label") is not None:
            problems.append(f"multiclass task has positive_label {t['positive_label']}")
        C.check(not problems, f"{name}: dataset, split and task describe the CSV ({n} rows, {len(want_features)} "
                f"features, classes {classes}, {len(train)}/{len(test)} train/test)", "; ".join(problems))

    C.guard(f"{name}: dataset, split and task", body)


# ---------------------------------------------------------------------------------------- model metrics


def check_model_metrics(name, m, y_true, model_name, model):
    def body():
        classes = [label(c) for c in m["dataset"]["class_names"]]
        binary = m["task"]["type"] == "binary"
        pred = [label(p) for p in model["test_predictions"]]
        where = f"{name}: {model_name} metrics"
        if len(pred) != len(y_true):
            C.fail(f"{where}: {len(pred)} test_predictions for {len(y_true)} test rows")
            return
        if any(p not in classes for p in pred):
            C.fail(f"{where}: test_predictions hold labels outside {classes}: {sorted(set(pred) - set(classes))}")
            return
        bad = []

        def cmp(key, got, want):
            if not close(got, want):
                bad.append(f"{key} {got} vs sklearn {want}")

        cmp("test_accuracy", model["test_accuracy"], skm.accuracy_score(y_true, pred))
        cmp("balanced_accuracy", model["balanced_accuracy"], skm.balanced_accuracy_score(y_true, pred))
        if binary:
            pos = label(m["task"]["positive_label"])
            top = dict(average="binary", pos_label=pos)
        else:
            top = dict(average="macro", labels=classes)
        p, r, f, _ = skm.precision_recall_fscore_support(y_true, pred, zero_division=0, **top)
        cmp("precision", model["precision"], p)
        cmp("recall", model["recall"], r)
        cmp("f1", model["f1"], f)
        for avg in ("macro", "micro", "weighted"):
            p, r, f, _ = skm.precision_recall_fscore_support(y_true, pred, average=avg, labels=classes, zero_division=0)
            for key, want in (("precision", p), ("recall", r), ("f1", f)):
                cmp(f"{avg}.{key}", model[avg][key], want)
        p, r, f, s = skm.precision_recall_fscore_support(y_true, pred, average=None, labels=classes, zero_division=0)
        pc = model["per_class"]
        if [label(e["label"]) for e in pc] != classes:
            bad.append(f"per_class labels {[e['label'] for e in pc]}, expected {classes}")
        else:
            for k, e in enumerate(pc):
                for key, want in (("precision", p[k]), ("recall", r[k]), ("f1", f[k]), ("support", s[k])):
                    cmp(f"per_class[{classes[k]}].{key}", e[key], want)
        cm = skm.confusion_matrix(y_true, pred, labels=classes).tolist()
        got = model["confusion_matrix"]
        if [label(c) for c in got["labels"]] != classes or got["matrix"] != cm:
            bad.append(f"confusion_matrix {got['labels']} {got['matrix']} vs sklearn {cm}")
        if bool(model["predicts_single_class"]) != (len(set(pred)) == 1):
            bad.append(f"predicts_single_class {model['predicts_single_class']} with {len(set(pred))} "
                       "predicted classes")
        if binary and model.get("roc_auc") is not None and not 0.0 <= model["roc_auc"] <= 1.0:
            bad.append(f"roc_auc {model['roc_auc']} outside [0, 1]")
        avg = "binary, positive " + label(m["task"]["positive_label"]) if binary else "macro/micro/weighted"
        C.check(not bad, f"{where} ({avg}, per class, confusion matrix) equal sklearn.metrics to 1e-9 "
                f"(accuracy {model['test_accuracy']:.4f})", "; ".join(bad[:6]) + (" ..." if len(bad) > 6 else ""))

    C.guard(f"{name}: {model_name} metrics", body)


# ------------------------------------------------------------------------------------ the three baselines


def split_data(m, ds, label_col):
    names = m["dataset"]["feature_names"]
    x = ds.matrix(names)
    y = np.array(ds.column(label_col), dtype=object)
    tr, te = m["split"]["train_rows"], m["split"]["test_rows"]
    return x[tr], y[tr].astype(str), x[te], y[te].astype(str)


def check_classical(name, m, data):
    xtr, ytr, xte, yte = data
    cl = m["classical"]
    n_test = len(yte)

    def same_hyperparameters():
        hp = cl["hyperparameters"]
        pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC(kernel="rbf", C=hp["C"], gamma=hp["gamma"]))])
        pred = pipe.fit(xtr, ytr).predict(xte)
        hq = [label(p) for p in cl["test_predictions"]]
        diff = [i for i in range(n_test) if pred[i] != hq[i]]
        C.check(len(diff) <= 1, f"{name}: classical RBF SVM (C {hp['C']:g}, gamma {hp['gamma']:.6g}) predicts as "
                f"sklearn's SVC with the same C and gamma on {n_test - len(diff)}/{n_test} test rows "
                "(at most 1 may differ)",
                f"{len(diff)} test rows differ (positions {diff[:10]}); sklearn accuracy "
                f"{float(np.mean(pred == yte)):.4f}, hqml {cl['test_accuracy']:.4f}")

    def grid_search():
        s = cl["search"]
        pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC(kernel="rbf"))])
        gs = GridSearchCV(pipe, {"svc__gamma": list(s["grid"]), "svc__C": list(s["C_grid"])},
                          cv=StratifiedKFold(5), n_jobs=1)
        gs.fit(xtr, ytr)
        acc = float(np.mean(gs.predict(xte) == yte))
        tol = acc_tol(n_test)
        best = gs.best_params_
        C.check(abs(acc - cl["test_accuracy"]) <= tol,
                f"{name}: classical test accuracy {cl['test_accuracy']:.4f} within {tol:.3f} of sklearn GridSearchCV "
                f"over hqml's grid ({acc:.4f}, sklearn chose C {best['svc__C']:g}, gamma {best['svc__gamma']:.6g}; "
                f"hqml C {cl['hyperparameters']['C']:g}, gamma {cl['hyperparameters']['gamma']:.6g})",
                f"difference {cl['test_accuracy'] - acc:+.4f}")

    C.guard(f"{name}: classical vs SVC with the same C and gamma", same_hyperparameters)
    C.guard(f"{name}: classical vs GridSearchCV", grid_search)


def check_logistic(name, m, data):
    xtr, ytr, xte, yte = data

    def body():
        lr = m["baselines"]["logistic_regression"]
        c = lr["hyperparameters"]["C"]
        pipe = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=c, max_iter=10000))])
        pred = pipe.fit(xtr, ytr).predict(xte)
        hq = np.array([label(p) for p in lr["test_predictions"]])
        agree = float(np.mean(pred == hq))
        acc = float(np.mean(pred == yte))
        tol = acc_tol(len(yte))
        C.check(abs(acc - lr["test_accuracy"]) <= tol and agree >= 0.97,
                f"{name}: logistic regression (C {c:g}) test accuracy {lr['test_accuracy']:.4f} vs sklearn's "
                f"{acc:.4f} (within {tol:.3f}), predictions agree on {agree:.1%} of test rows (>= 97%)",
                f"difference {lr['test_accuracy'] - acc:+.4f}, agreement {agree:.4f}")

    C.guard(f"{name}: logistic regression", body)


def check_majority(name, m, data):
    _, ytr, _, _ = data

    def body():
        mj = m["baselines"]["majority"]
        classes = [label(c) for c in m["dataset"]["class_names"]]
        counts = [int(np.sum(ytr == c)) for c in classes]
        # scikit-learn's DummyClassifier(strategy="most_frequent"): the first class in class order on ties.
        top = classes[counts.index(max(counts))]
        pred = sorted({label(p) for p in mj["test_predictions"]})
        C.check(pred == [top] and mj["predicts_single_class"] is True,
                f"{name}: majority baseline predicts the most frequent training class '{top}' (training counts "
                f"{counts}) on every test row", f"it predicts {pred}")

    C.guard(f"{name}: majority baseline", body)


# ----------------------------------------------------------------------------- comparisons and verdict


def check_comparisons(name, m, y_true):
    def body():
        q = [label(p) for p in m["quantum"]["test_predictions"]]
        others = {"classical": m["classical"], "logistic_regression": m["baselines"]["logistic_regression"],
                  "majority": m["baselines"]["majority"]}
        comps = m["comparisons"]
        bad = []
        if [(c["a"], c["b"]) for c in comps] != [("quantum", k) for k in others]:
            bad.append(f"comparisons are {[(c['a'], c['b']) for c in comps]}")
        for c in comps:
            b = [label(p) for p in others[c["b"]]["test_predictions"]]
            qa = sum(1 for t, u, v in zip(y_true, q, b) if u == t and v != t)
            ba = sum(1 for t, u, v in zip(y_true, q, b) if v == t and u != t)
            p = binomtest(min(qa, ba), qa + ba, 0.5).pvalue if qa + ba else 1.0
            acc_a, acc_b = m["quantum"]["test_accuracy"], others[c["b"]]["test_accuracy"]
            mc = c["mcnemar"]
            if (mc["a_only_right"], mc["b_only_right"]) != (qa, ba):
                bad.append(f"vs {c['b']}: discordant rows {mc['a_only_right']}/{mc['b_only_right']}, "
                           f"expected {qa}/{ba}")
            if not close(mc["p_value"], p):
                bad.append(f"vs {c['b']}: McNemar p {mc['p_value']}, scipy's exact binomial test {p}")
            if not (close(c["accuracy_a"], acc_a) and close(c["accuracy_b"], acc_b) and
                    close(c["difference"], acc_a - acc_b)):
                bad.append(f"vs {c['b']}: accuracies/difference {c['accuracy_a']}, {c['accuracy_b']}, "
                           f"{c['difference']}")
            lo, hi = c["bootstrap_ci95"]
            if not -1.0 <= lo <= hi <= 1.0:
                bad.append(f"vs {c['b']}: bootstrap_ci95 [{lo}, {hi}]")
            sig = p < 0.05
            better = None if not sig else ("quantum" if acc_a > acc_b else c["b"])
            if bool(c["significant"]) != sig or c.get("better") != better:
                bad.append(f"vs {c['b']}: significant {c['significant']}, better {c.get('better')}; "
                           f"expected {sig}, {better}")
        v = m["verdict"]
        bc = v["best_classical"]
        comp = next((c for c in comps if c["b"] == bc), None)
        if comp is None:
            bad.append(f"verdict.best_classical {bc} has no comparison")
        else:
            want = ("no_significant_difference" if not comp["significant"] else
                    "quantum_better" if comp["better"] == "quantum" else "classical_better")
            if v["held_out"] != want:
                bad.append(f"verdict.held_out {v['held_out']}, the comparison with {bc} says {want}")
        if v["assessment"] != m["assessment"]["verdict"]:
            bad.append(f"verdict.assessment {v['assessment']} vs assessment.verdict {m['assessment']['verdict']}")
        C.check(not bad, f"{name}: comparisons (McNemar counts and exact p against scipy) and verdict.held_out "
                f"({v['held_out']}) follow from the test predictions", "; ".join(bad))

    C.guard(f"{name}: comparisons", body)


def check_run_metrics(name, m, ds, label_col, dropped):
    check_dataset(name, m, ds, label_col, dropped)
    y = ds.column(label_col)
    try:
        y_true = [y[i] for i in m["split"]["test_rows"]]
    except (KeyError, TypeError, IndexError) as e:
        C.fail(f"{name}: split.test_rows unusable: {e}")
        return
    for model_name, get in MODELS:
        try:
            model = get(m)
        except (KeyError, TypeError) as e:
            C.fail(f"{name}: no {model_name} model in metrics.json ({e})")
            continue
        check_model_metrics(name, m, y_true, model_name, model)
    try:
        data = split_data(m, ds, label_col)
    except (KeyError, ValueError) as e:
        C.fail(f"{name}: cannot rebuild the split's features: {e}")
        return
    check_classical(name, m, data)
    check_logistic(name, m, data)
    check_majority(name, m, data)
    check_comparisons(name, m, y_true)


# ---------------------------------------------------------------------------------------- positive label


def cm_recall_precision(model, pos):
    """Recall and precision of class pos as the model's own confusion matrix gives them."""
    k = [label(c) for c in model["confusion_matrix"]["labels"]].index(pos)
    mat = model["confusion_matrix"]["matrix"]
    tp = mat[k][k]
    row = sum(mat[k])
    col = sum(mat[i][k] for i in range(len(mat)))
    return (tp / row if row else 0.0), (tp / col if col else 0.0)


def check_positive_label(m_default, m_benign, m_reordered):
    def default():
        t = m_default["task"]
        C.check(label(t["positive_label"]) == "malignant" and
                [label(c) for c in m_default["dataset"]["class_names"]] == ["benign", "malignant"],
                "breast_cancer: positive label is 'malignant' by default (the greater label in sorted order)",
                f"positive_label {t['positive_label']}, class_names {m_default['dataset']['class_names']}")

    def benign():
        bad = []
        if label(m_benign["task"]["positive_label"]) != "benign":
            bad.append(f"positive_label {m_benign['task']['positive_label']}")
        if m_benign["split"] != m_default["split"]:
            bad.append("the split differs from the default run's")
        for model_name, get in MODELS:
            a, b = get(m_default), get(m_benign)
            if a["confusion_matrix"] != b["confusion_matrix"]:
                bad.append(f"{model_name}: confusion matrix changed with --pos-label")
                continue
            pc = {label(e["label"]): e for e in a["per_class"]}
            for key in ("precision", "recall", "f1"):
                if not close(b[key], pc["benign"][key]):
                    bad.append(f"{model_name}: {key} {b[key]} with --pos-label benign, per_class benign "
                               f"{pc['benign'][key]}")
            r, p = cm_recall_precision(b, "benign")
            if not (close(b["recall"], r) and close(b["precision"], p)):
                bad.append(f"{model_name}: recall/precision {b['recall']}/{b['precision']}, confusion matrix "
                           f"gives {r}/{p}")
        q = m_benign["quantum"]
        qd = m_default["quantum"]
        C.check(not bad, f"breast_cancer: --pos-label benign makes precision/recall those of benign, same split and "
                f"confusion matrices (quantum recall malignant {qd['recall']:.4f} -> benign {q['recall']:.4f})",
                "; ".join(bad))

    def reordered():
        bad = []
        classes = [label(c) for c in m_reordered["dataset"]["class_names"]]
        if classes != ["benign", "malignant"] or label(m_reordered["task"]["positive_label"]) != "malignant":
            bad.append(f"class_names {classes}, positive_label {m_reordered['task']['positive_label']}")
        else:
            for model_name, get in MODELS:
                b = get(m_reordered)
                r, p = cm_recall_precision(b, "malignant")
                if not (close(b["recall"], r) and close(b["precision"], p)):
                    bad.append(f"{model_name}: recall/precision {b['recall']}/{b['precision']}, its confusion matrix "
                               f"gives {r}/{p} for malignant")
        C.check(not bad, "breast_cancer with the rows reordered (a benign row first): classes, positive label "
                f"'malignant' and the recall derived from each confusion matrix are unchanged (quantum recall "
                f"{m_reordered['quantum']['recall']:.4f})", "; ".join(bad))

    if m_default:
        C.guard("breast_cancer: default positive label", default)
    if m_default and m_benign:
        C.guard("breast_cancer: --pos-label benign", benign)
    if m_reordered:
        C.guard("breast_cancer: reordered rows", reordered)


# ------------------------------------------------------------------------------------------------ predict


def read_predictions(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def check_predict(hqml, datadir, work, m):
    model = os.path.join(work, "breast_cancer", "model")
    outs = {}
    for tag, file in (("original", "breast_cancer.csv"), ("swapped", "breast_cancer_swapped.csv"),
                      ("semicolon", "breast_cancer_semicolon.csv")):
        out = os.path.join(work, f"predict_{tag}.csv")
        args = [hqml, "predict", "--model", model, "--data", os.path.join(datadir, file), "--out", out]
        rc, _, err = run(args)
        if rc != 0 or not os.path.exists(out):
            C.fail(f"predict on {file}: exit {rc}: {last_line(err)}")
            continue
        outs[tag] = read_predictions(out)
    if "original" not in outs:
        return
    header, rows = outs["original"]
    classes = [label(c) for c in m["dataset"]["class_names"]] if m else ["benign", "malignant"]
    pcols = [f"p({c})" for c in classes]

    def layout():
        bad = []
        if header[:2] != ["row", "prediction"]:
            bad.append(f"header starts {header[:2]}")
        if not any(h.startswith("decision") for h in header):
            bad.append("no decision column")
        if any(c not in header for c in pcols):
            bad.append(f"probability columns {pcols} not all in {header}")
        if [r[0] for r in rows] != [str(i) for i in range(569)]:
            bad.append("row column is not 0..568")
        C.check(not bad, f"predict: writes {', '.join(header)} for 569 rows", "; ".join(bad))

    def probabilities():
        idx = [header.index(c) for c in pcols]
        worst = max(abs(sum(float(r[j]) for j in idx) - 1.0) for r in rows)
        neg = min(float(r[j]) for r in rows for j in idx)
        C.check(worst <= 1e-9 and neg >= 0.0, f"predict: probability columns sum to 1 on every row (worst "
                f"|sum - 1| = {worst:.2e})", f"worst |sum - 1| = {worst:.3e}, smallest probability {neg}")

    def matches_run():
        test = m["split"]["test_rows"]
        pred = [rows[i][1] for i in test]
        want = [label(p) for p in m["quantum"]["test_predictions"]]
        diff = sum(1 for a, b in zip(pred, want) if a != b)
        C.check(diff == 0, f"predict: the saved model's predictions on the test rows equal the run's quantum "
                f"test_predictions ({len(test)} rows)", f"{diff} of {len(test)} differ")
        pos = label(m["task"]["positive_label"])
        y = Dataset(os.path.join(datadir, "breast_cancer.csv")).column("diagnosis")
        j = header.index(f"p({pos})")
        auc = skm.roc_auc_score([y[i] == pos for i in test], [float(rows[i][j]) for i in test])
        C.check(close(auc, m["quantum"]["roc_auc"]), f"predict: sklearn's ROC AUC of p({pos}) on the test rows equals "
                f"the run's quantum roc_auc ({m['quantum']['roc_auc']:.6f})", f"sklearn {auc:.12f}")

    C.guard("predict: output layout", layout)
    C.guard("predict: probabilities", probabilities)
    if m:
        C.guard("predict: agrees with the run", matches_run)
    for tag, what in (("swapped", "two feature columns swapped (matched by header name)"),
                      ("semicolon", "';' separator (auto-detected)")):
        if tag in outs:
            h2, r2 = outs[tag]
            diff = sum(1 for a, b in zip(rows, r2) if a != b) + abs(len(rows) - len(r2))
            C.check(h2 == header and diff == 0, f"predict: the copy with {what} gives the same output, every "
                    f"prediction, decision and probability", f"{diff} of {len(rows)} rows differ, header {h2}")

    out = os.path.join(work, "predict_missing.csv")
    args = [hqml, "predict", "--model", model, "--data", os.path.join(datadir, "breast_cancer_missing_column.csv"),
            "--out", out]
    rc, stdout, err = run(args)
    lines = err.strip().splitlines()
    C.check(rc == 2 and len(lines) == 1 and REMOVED in lines[0] and not os.path.exists(out),
            f"predict: the copy without column '{REMOVED}' is refused, exit 2, one line naming it, no output written "
            f"({lines[0] if lines else ''})",
            f"exit {rc}, stderr {err.strip()!r}, output written: {os.path.exists(out)}")


# --------------------------------------------------------------------------------------------------- main


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: check_run.py HQML DATADIR WORKDIR")
    hqml, datadir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    os.makedirs(work, exist_ok=True)
    results = {}
    for name, file, extra in RUNS:
        data = os.path.join(datadir, file)
        label_col = LABELS[file]
        m = hqml_run(hqml, name, data, label_col, extra, os.path.join(work, name))
        results[name] = m
        if m is None:
            continue
        dropped = extra[extra.index("--drop") + 1:] if "--drop" in extra else []
        ds = Dataset(data)
        if name in ("iris", "wine"):
            C.check(m.get("task", {}).get("type") == "multiclass",
                    f"{name}: runs end to end as a 3-class problem (quantum {m['quantum']['test_accuracy']:.4f}, "
                    f"classical {m['classical']['test_accuracy']:.4f})", f"task {m.get('task')}")
        check_run_metrics(name, m, ds, label_col, dropped)

    bc = os.path.join(datadir, "breast_cancer.csv")
    m0 = results["breast_cancer"]
    # --pos-label, reordered rows, and the identifier warning
    mb = hqml_run(hqml, "breast_cancer --pos-label benign", bc, "diagnosis", ["--drop", "id", "--pos-label", "benign"],
                  os.path.join(work, "bc_benign"))
    reordered = os.path.join(datadir, "breast_cancer_reordered.csv")
    mr = hqml_run(hqml, "breast_cancer reordered", reordered, "diagnosis", ["--drop", "id"],
                  os.path.join(work, "bc_reordered"))
    if mb:
        check_run_metrics("breast_cancer --pos-label benign", mb, Dataset(bc), "diagnosis", ["id"])
    if mr:
        check_run_metrics("breast_cancer reordered", mr, Dataset(reordered), "diagnosis", ["id"])
    check_positive_label(m0, mb, mr)

    mi = hqml_run(hqml, "breast_cancer without --drop id", bc, "diagnosis", [], os.path.join(work, "bc_with_id"))
    if mi:
        warns = mi.get("dataset", {}).get("warnings", [])
        C.check(any("'id'" in w or '"id"' in w for w in warns) and "id" in mi["dataset"]["feature_names"],
                "breast_cancer without --drop id: the id column is used and metrics.json warns about it",
                f"warnings {warns}")

    # reproducibility: the same run again into another folder, and with another thread count
    if m0:
        again = os.path.join(work, "breast_cancer_again")
        if hqml_run(hqml, "breast_cancer again", bc, "diagnosis", ["--drop", "id"], again):
            with open(os.path.join(work, "breast_cancer", "metrics.json"), "rb") as f:
                a = f.read()
            with open(os.path.join(again, "metrics.json"), "rb") as f:
                b = f.read()
            C.check(a == b, f"breast_cancer: the same run twice gives byte-identical metrics.json ({len(a)} bytes)",
                    "the files differ")
        one = os.path.join(work, "breast_cancer_1thread")
        args = [hqml, "run", "--data", bc, "--label", "diagnosis", "--out", one, "--qubits", "4", "--seed", "0",
                "--threads", "1", "--drop", "id"]
        rc, _, err = run(args)
        if rc != 0:
            C.fail(f"breast_cancer --threads 1: exit {rc}: {last_line(err)}")
        else:
            with open(os.path.join(one, "metrics.json")) as f:
                m1 = json.load(f)
            diff = sorted(k for k in set(m0) | set(m1) if k != "threads" and m0.get(k) != m1.get(k))
            C.check(not diff, "breast_cancer: --threads 1 and --threads 2 give the same metrics.json (but 'threads')",
                    f"these keys differ: {diff}")

        # the same data ';'-separated: the separator is detected and nothing else changes
        semi = os.path.join(datadir, "breast_cancer_semicolon.csv")
        ms = hqml_run(hqml, "breast_cancer ';'-separated", semi, "diagnosis", ["--drop", "id"],
                      os.path.join(work, "bc_semicolon"))
        if ms:
            def same_but_source():
                sep = ms["dataset"].get("separator")
                # The file's name may appear anywhere (a summary, the source); the separator only there.
                b = json.loads(json.dumps(ms).replace(semi, bc).replace("breast_cancer_semicolon", "breast_cancer"))
                a = {k: v for k, v in m0.items() if k != "dataset"}
                da = {k: v for k, v in m0["dataset"].items() if k != "separator"}
                db = {k: v for k, v in b.pop("dataset").items() if k != "separator"}
                diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                diff += sorted(f"dataset.{k}" for k in set(da) | set(db) if da.get(k) != db.get(k))
                C.check(sep == ";" and not diff, "breast_cancer ';'-separated: separator ';' detected, metrics.json "
                        "the same as with ',' but for the file's name", f"separator {sep!r}, these keys differ: {diff}")

            C.guard("breast_cancer ';'-separated", same_but_source)

    if m0:
        check_predict(hqml, datadir, work, m0)

    print(f"{C.passed} passed, {C.failed} failed")
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
