"""score.py for Azure ML's inference server (azmlinfsrv --entry_script serve_peer_score.py): the peer of
`hqml serve` in benchmarks/serve.sh, serving the same model folder (hqml run's model/) with Qiskit and scikit-learn.

The model is rebuilt from the folder's arrays, not refitted:
  preprocessing   numpy: standardize ((x - mean) / scale), PCA ((z - mean) components^T), min-max
                  ((z - data_min) (hi - lo) / (data_max - data_min) + lo; a constant column maps to lo), then
                  times kernel.feature_scale;
  feature map     qiskit's pauli_feature_map with model.json's qubits, reps, entanglement, alpha and paulis
                  (kind zz is paulis Z, ZZ: qiskit's ZZFeatureMap);
  kernel          qiskit-machine-learning's FidelityStatevectorKernel between the rows and the support vectors;
  SVM             scikit-learn's SVC(kernel="precomputed") whose fitted attributes are set to the model's
                  libsvm arrays (sv_coef, -rho, probA, probB, per-class support counts); predict() and
                  decision_function() then run scikit-learn's libsvm on the (rows x support vectors) kernel;
                  for two classes the Platt sigmoid is applied in numpy, as libsvm >= 3.25 and hqml do (see
                  proba()).

Request and response follow hqml serve's Azure ML scoring protocol: {"data": [[...30 raw features...], ...]} ->
{"predictions": [...], "probabilities": [[...]] (columns in class_names order), "served_by": [...],
"model_version": "..."}.

The kernel object lives as long as the worker, with its statevector cache kept across requests (bounded LRU):
the support vectors' states are computed once, as hqml computes them once; rows of a request are new states.
Environment: AZUREML_MODEL_DIR (set by azmlinfsrv --model_dir) is the model folder.
"""
import json
import os

import numpy as np

_model = None


class _Model:
    def __init__(self, folder):
        from qiskit.circuit.library import pauli_feature_map
        from qiskit_machine_learning.kernels import FidelityStatevectorKernel
        from sklearn.svm import SVC

        with open(os.path.join(folder, "model.json")) as f:
            meta = json.load(f)
        arrays = meta["arrays"]

        def arr(name):
            return np.load(os.path.join(folder, arrays[name]["file"]))

        self.class_names = list(meta["class_names"])
        self.version = meta.get("created_by", "peer")
        pre = meta["preprocessing"]
        steps = pre["steps"]
        if steps not in (["standardize", "min_max"], ["standardize", "pca", "min_max"]):
            raise ValueError(f"preprocessing steps {steps} are not handled by this score.py")
        self.std_mean, self.std_scale = arr("standardize.mean"), arr("standardize.scale")
        self.pca = (arr("pca.mean"), arr("pca.components")) if "pca" in steps else None
        mm = meta["min_max"]
        self.mm_lo = float(mm["lo"])
        self.mm_min, mm_max = arr("min_max.data_min"), arr("min_max.data_max")
        rng = mm_max - self.mm_min
        span = float(mm["hi"]) - self.mm_lo
        with np.errstate(divide="ignore"):
            stretch = span / rng
        # min_max_scaler.hpp: a column without range (or one whose stretch overflows) is scaled by hi - lo.
        self.mm_scale = np.where((rng > 0) & np.isfinite(stretch), stretch, span)
        self.feature_scale = float(meta["kernel"]["feature_scale"])

        fm = meta["feature_map"]
        if fm["kind"] not in ("zz", "pauli") or fm.get("trainable"):
            raise ValueError(f"feature map {fm['kind']} is not handled by this score.py")
        paulis = ["Z", "ZZ"] if fm["kind"] == "zz" else list(fm["paulis"])
        circuit = pauli_feature_map(fm["num_qubits"], reps=fm["reps"], entanglement=fm["entanglement"],
                                    alpha=fm["alpha"], paulis=paulis)
        self.support = self.feature_scale * arr("support_x")
        n_sv = self.support.shape[0]
        self.kernel = FidelityStatevectorKernel(feature_map=circuit, cache_size=n_sv + 4096, auto_clear_cache=False)

        svc = meta["svc"]
        labels = [self.class_names[c] for c in svc["classes"]]  # libsvm's class order
        dual = np.ascontiguousarray(arr("svc.dual_coef"), dtype=np.float64)
        rho = np.asarray(svc["rho"], dtype=np.float64)
        m = SVC(kernel="precomputed", probability=True, C=svc["params"]["C"])
        # What SVC.fit leaves behind, with libsvm's own arrays: the private _dual_coef_ / _intercept_ are
        # libsvm's sv_coef and -rho (the public ones are sign-flipped copies for two classes), and a
        # precomputed kernel's support_ indexes the columns of the matrix passed to predict, here the support
        # vectors themselves.
        m.classes_ = np.asarray(labels)
        m.support_ = np.arange(n_sv, dtype=np.int32)
        m.support_vectors_ = np.empty((0, 0), dtype=np.float64)
        m._n_support = np.asarray(svc["n_support"], dtype=np.int32)
        m._dual_coef_ = dual
        m._intercept_ = -rho
        m._probA = np.asarray(svc["prob_a"], dtype=np.float64)
        m._probB = np.asarray(svc["prob_b"], dtype=np.float64)
        m._gamma = 0.0
        m._sparse = False
        m.shape_fit_ = (n_sv, n_sv)
        m.fit_status_ = 0
        m.class_weight_ = np.ones(len(labels), dtype=np.float64)
        m.n_features_in_ = n_sv
        m.n_iter_ = np.zeros(max(1, len(labels) * (len(labels) - 1) // 2), dtype=np.int32)
        two = len(labels) == 2
        m.dual_coef_ = -dual if two else dual
        m.intercept_ = rho if two else -rho
        self.svc = m
        # predict_proba's columns follow classes_ (libsvm's order); responses use class_names order.
        self.proba_cols = [labels.index(c) for c in self.class_names]
        self.n_inputs = self.std_mean.shape[0]

    def preprocess(self, x):
        z = (x - self.std_mean) / self.std_scale
        if self.pca is not None:
            z = (z - self.pca[0]) @ self.pca[1].T
        z = (z - self.mm_min) * self.mm_scale + self.mm_lo
        return self.feature_scale * z

    def kernel_rows(self, rows):
        """The fidelity kernel between raw rows and the support vectors (rows x n_sv)."""
        return self.kernel.evaluate(self.preprocess(rows), self.support)

    def proba(self, k):
        """Class probabilities in libsvm's class order."""
        if len(self.svc.classes_) != 2:
            return self.svc.predict_proba(k)
        # scikit-learn's bundled libsvm couples even two classes iteratively (to about 3e-3 here); libsvm
        # itself, and hqml, take Platt's sigmoid of the decision value directly: P(first class) =
        # 1 / (1 + exp(A f + B)), clipped to [1e-7, 1 - 1e-7]. decision_function is -f for two classes.
        f = -self.svc.decision_function(k) * self.svc._probA[0] + self.svc._probB[0]
        with np.errstate(over="ignore"):
            p = np.where(f >= 0, np.exp(-f) / (1 + np.exp(-f)), 1 / (1 + np.exp(f)))
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return np.column_stack([p, 1 - p])

    def score(self, rows):
        k = self.kernel_rows(rows)
        labels = self.svc.predict(k)
        proba = self.proba(k)[:, self.proba_cols]
        return {"predictions": [str(v) for v in labels], "probabilities": proba.tolist(),
                "served_by": ["quantum"] * len(labels), "model_version": self.version}


def init():
    global _model
    _model = _Model(os.environ["AZUREML_MODEL_DIR"])


def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"], dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != _model.n_inputs:
        raise ValueError(f"expected rows of {_model.n_inputs} features, got shape {rows.shape}")
    return _model.score(rows)
