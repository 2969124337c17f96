"""Reference values from scikit-learn for hqml's learning tests (tests/learn).

Writes learn_sklearn_reference.json next to this file: the inputs (drawn from fixed seeds) and
scikit-learn's outputs for the metrics, ROC curves, scalers, PCA and kernel ridge regression.
Regenerate with:  python3 tests/reference/learn_sklearn_reference.py   (needs numpy and scikit-learn)
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.decomposition import PCA
from sklearn.kernel_ridge import KernelRidge
from sklearn.preprocessing import MinMaxScaler, StandardScaler


def lst(a):
    return np.asarray(a).tolist()


def classification_case(name, y_true, y_pred, pos_label):
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, _ = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "name": name,
        "y_true": lst(y_true),
        "y_pred": lst(y_pred),
        "labels": lst(labels),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "confusion_matrix": lst(metrics.confusion_matrix(y_true, y_pred, labels=labels)),
        "per_class_precision": lst(p),
        "per_class_recall": lst(r),
        "per_class_f1": lst(f),
        "macro_precision": metrics.precision_score(y_true, y_pred, average="macro", zero_division=0),
        "macro_recall": metrics.recall_score(y_true, y_pred, average="macro", zero_division=0),
        "macro_f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "pos_label": pos_label,
        "binary_precision": metrics.precision_score(y_true, y_pred, labels=labels, average=None, zero_division=0)[labels.index(pos_label)],
        "binary_recall": metrics.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)[labels.index(pos_label)],
        "binary_f1": metrics.f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)[labels.index(pos_label)],
    }


def roc_case(name, y_true, scores, pos_label):
    fpr, tpr, thr = metrics.roc_curve(y_true, scores, pos_label=pos_label)
    fpr_all, tpr_all, thr_all = metrics.roc_curve(y_true, scores, pos_label=pos_label, drop_intermediate=False)
    y_bin = (np.asarray(y_true) == pos_label).astype(int)
    return {
        "name": name,
        "y_true": lst(y_true),
        "scores": lst(scores),
        "pos_label": pos_label,
        "fpr": lst(fpr),
        "tpr": lst(tpr),
        "thresholds": [t if np.isfinite(t) else "inf" for t in thr.tolist()],
        "fpr_all": lst(fpr_all),
        "tpr_all": lst(tpr_all),
        "auc": metrics.roc_auc_score(y_bin, scores),
    }


def main():
    rng = np.random.RandomState(20240521)
    out = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__}

    # Classification metrics: binary, multiclass, a class only predicted, a class never predicted.
    yb = rng.randint(0, 2, 60)
    pb = np.where(rng.rand(60) < 0.75, yb, 1 - yb)
    ym = rng.choice([3, 5, 9], 90)
    pm = np.where(rng.rand(90) < 0.6, ym, rng.choice([3, 5, 9], 90))
    yo = rng.choice([0, 1, 2], 40)
    po = np.where(rng.rand(40) < 0.5, yo, 7)   # 7 is predicted but never true
    yn = rng.choice([1, 2, 4], 30)
    pn = np.where(yn == 4, 1, yn)              # 4 is never predicted: zero precision denominator
    out["classification"] = [
        classification_case("binary", yb.tolist(), pb.tolist(), 1),
        classification_case("three_class", ym.tolist(), pm.tolist(), 5),
        classification_case("predicted_only_class", yo.tolist(), po.tolist(), 2),
        classification_case("never_predicted_class", yn.tolist(), pn.tolist(), 4),
    ]

    # ROC: continuous scores; scores rounded to one decimal (many ties); labels -1/+1.
    yr = rng.randint(0, 2, 80)
    sr = yr * 0.8 + rng.randn(80)
    yt = np.where(rng.rand(50) < 0.4, 1, -1)
    st = np.round(0.5 * yt + rng.randn(50), 1)
    out["roc"] = [
        roc_case("continuous", yr.tolist(), sr.tolist(), 1),
        roc_case("ties", yt.tolist(), st.tolist(), 1),
        roc_case("ties_negative_class", yt.tolist(), st.tolist(), -1),
    ]

    # One-vs-rest macro AUC from per-class scores.
    yc = rng.choice([0, 1, 2], 45)
    sc = rng.rand(45, 3) + np.eye(3)[yc] * 0.5
    sc = sc / sc.sum(axis=1, keepdims=True)
    out["roc_ovr"] = {"y_true": lst(yc), "scores": lst(sc),
                      "auc": metrics.roc_auc_score(yc, sc, multi_class="ovr", average="macro")}

    # Preprocessing on a data set with one constant feature.
    x = rng.randn(25, 4) * [1.0, 5.0, 0.1, 1.0] + [0.0, 3.0, -1.0, 2.0]
    x[:, 3] = 2.0
    xt = rng.randn(6, 4)
    mm = MinMaxScaler(feature_range=(0.0, np.pi)).fit(x)
    ss = StandardScaler().fit(x)
    xp = rng.randn(30, 5) @ rng.randn(5, 5)
    pca = PCA(n_components=3, svd_solver="full").fit(xp)
    out["preprocessing"] = {
        "x": lst(x), "x_test": lst(xt),
        "minmax_range": [0.0, np.pi],
        "minmax_transform": lst(mm.transform(xt)),
        "standard_mean": lst(ss.mean_), "standard_scale": lst(ss.scale_),
        "standard_transform": lst(ss.transform(xt)),
        "pca_x": lst(xp),
        "pca_components": lst(pca.components_),
        "pca_explained_variance": lst(pca.explained_variance_),
        "pca_explained_variance_ratio": lst(pca.explained_variance_ratio_),
        "pca_transform": lst(pca.transform(xp[:5])),
    }

    # Kernel ridge regression on a precomputed RBF kernel.
    a = rng.randn(40, 3)
    b = rng.randn(7, 3)
    y = np.sin(a[:, 0]) + 0.1 * rng.randn(40)
    sq = lambda u, v: ((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)
    k = np.exp(-0.5 * sq(a, a))
    kt = np.exp(-0.5 * sq(b, a))
    kr = KernelRidge(alpha=0.1, kernel="precomputed").fit(k, y)
    out["kernel_ridge"] = {"k": lst(k), "k_test": lst(kt), "y": lst(y), "alpha": 0.1,
                           "dual_coef": lst(kr.dual_coef_), "predict": lst(kr.predict(kt))}

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "learn_sklearn_reference.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
