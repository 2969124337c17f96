"""scikit-learn's SVC(kernel='precomputed') on the kernels bench_svm wrote, and the comparison table.

Reads K_<n>.npy, Kt_<n>.npy, y_<n>.npy and dec_hqml_<n>.npy from --data (written by bench_svm with
HQML_SVM_DUMP_DIR set), times sklearn's fit with the same C, tolerance and cache size, checks the
solution against hqml's (support-vector count, max |decision value difference| on the held-out
points), and prints one table with bench_svm's hqml and libsvm medians (--bench-json) beside it.
Run through benchmarks/svm.sh.
"""
import argparse
import os
import statistics
import time

import numpy as np
import sklearn
from sklearn.svm import SVC

import gbench

C, TOL, CACHE_MB = 1.0, 1e-3, 200.0


def sklearn_fit(k, y, reps):
    times, model = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        model = SVC(C=C, kernel="precomputed", tol=TOL, cache_size=CACHE_MB, shrinking=True).fit(k, y)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), model


def bench_medians(path):
    """{(name, n): (median ms, n_sv, max_dec_diff)} from bench_svm's JSON."""
    return {(name[0], int(name[1])): (ms, b.get("n_sv"), b.get("max_dec_diff")) for name, ms, b in gbench.medians(path)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--bench-json", required=True)
    args = ap.parse_args()
    medians = bench_medians(args.bench_json)
    sizes = sorted(int(f[2:-4]) for f in os.listdir(args.data) if f.startswith("K_"))
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; C={C}, tol={TOL}, cache={CACHE_MB} MB")
    print("| N | hqml median (ms) | libsvm median (ms) | sklearn median (ms) | libsvm / hqml | sklearn / hqml "
          "| #SV hqml | #SV libsvm | #SV sklearn | max abs dec diff vs libsvm | vs sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        k = np.load(os.path.join(args.data, f"K_{n}.npy"))
        kt = np.load(os.path.join(args.data, f"Kt_{n}.npy"))
        y = np.load(os.path.join(args.data, f"y_{n}.npy"))
        dec_hqml = np.load(os.path.join(args.data, f"dec_hqml_{n}.npy"))
        t, model = sklearn_fit(k, y, args.reps)
        # sklearn's binary decision is positive for classes_[1] = +1; hqml's (libsvm's) for its first
        # class, which is +1 for -1/+1 labels: the same sign convention.
        dec_sk = model.decision_function(kt)
        hq_ms, hq_sv, diff_lib = medians[("BM_svc_fit_hqml", n)]
        lib_ms, lib_sv, _ = medians.get(("BM_svc_fit_libsvm", n), (float("nan"), None, None))
        sk_ms = 1e3 * t
        print(f"| {n} | {hq_ms:.1f} | {lib_ms:.1f} | {sk_ms:.1f} | {lib_ms / hq_ms:.2f} | {sk_ms / hq_ms:.2f} "
              f"| {int(hq_sv)} | {int(lib_sv) if lib_sv else '-'} | {int(model.n_support_.sum())} "
              f"| {diff_lib:.2e} | {np.abs(dec_sk - dec_hqml).max():.2e} |")


if __name__ == "__main__":
    main()
