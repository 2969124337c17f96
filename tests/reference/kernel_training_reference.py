"""Writes tests/reference/kernel_training_reference.json: fidelity kernels of trainable feature maps and the
kernel losses of qiskit-machine-learning's QuantumKernelTrainer for fixed data and parameters, so that hqml's
kernel training (include/hqml/kernel_training.hpp) can be checked without Python in the test run.

- k_train: TrainableFidelityStatevectorKernel (exact statevectors, enforce_psd off so K is the raw Gram matrix).
- svc_loss: qiskit_machine_learning.utils.loss_functions.SVCLoss(C=...), the dual objective of scikit-learn's SVC.
- alignment / centered_alignment: kernel-target alignment <K, yy^T>_F / (|K|_F |yy^T|_F) with y = +-1, and its
  centered form with H K H and H yy^T H (H = I - 11^T/N), computed here with numpy: qiskit-machine-learning has
  no alignment loss, so these follow the definitions (Cristianini et al. 2001; Cortes et al. 2012).

Run with a Python that has qiskit, qiskit-machine-learning and scikit-learn:
    /work/peers-venv/bin/python tests/reference/kernel_training_reference.py
"""
import json
import os

import numpy as np
import qiskit
import qiskit_machine_learning
import sklearn
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.circuit.library import zz_feature_map
from qiskit_machine_learning.kernels import TrainableFidelityStatevectorKernel
from qiskit_machine_learning.utils.loss_functions import SVCLoss


def ry_layer_zz(n):
    """hqml's with_trainable_layer(zz_feature_map(n, 2, "linear")): RY(theta_q) on every qubit, then the map."""
    theta = ParameterVector("theta", n)
    qc = QuantumCircuit(n)
    for q in range(n):
        qc.ry(theta[q], q)
    qc.compose(zz_feature_map(n, reps=2, entanglement="linear"), inplace=True)
    return qc, theta


def interleaved(n):
    """theta interleaved with the data: one theta in several gates, with a coefficient and times features.
    The C++ test builds the same circuit gate by gate."""
    theta = ParameterVector("theta", 3)
    x = ParameterVector("x", n)
    qc = QuantumCircuit(n)
    for q in range(n):
        qc.h(q)
    for q in range(n):
        qc.rz(2 * theta[0] * x[q], q)
    for q in range(n - 1):
        qc.rzz(theta[1] * (np.pi - x[q]) * (np.pi - x[q + 1]), q, q + 1)
    for q in range(n):
        qc.ry(theta[2] + x[q], q)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    for q in range(n):
        qc.rx(x[q], q)
    return qc, theta


CASES = [
    # name, builder, qubits, samples, label set
    ("ry_zz_n2", ry_layer_zz, 2, 14, (-1, 1)),
    ("interleaved_n3", interleaved, 3, 12, (0, 1)),
]


def alignment(k, y, centered):
    y = np.asarray(y, dtype=float)
    yy = np.outer(y, y)
    if centered:
        h = np.eye(len(y)) - np.ones((len(y), len(y))) / len(y)
        k = h @ k @ h
        yy = h @ yy @ h
    return float(np.sum(k * yy) / (np.linalg.norm(k) * np.linalg.norm(yy)))


def main():
    rng = np.random.default_rng(20250607)
    out = {"qiskit": qiskit.__version__, "qiskit_machine_learning": qiskit_machine_learning.__version__,
           "sklearn": sklearn.__version__, "cases": []}
    for name, builder, n, samples, label_set in CASES:
        fm, theta = builder(n)
        x = rng.uniform(0, 2 * np.pi, size=(samples, n))
        labels = np.array([label_set[i % 2] for i in range(samples)])
        rng.shuffle(labels)
        points = []
        for _ in range(2):
            t = rng.uniform(-np.pi, np.pi, size=len(theta))
            kernel = TrainableFidelityStatevectorKernel(feature_map=fm, training_parameters=theta, enforce_psd=False)
            kernel.assign_training_parameters(t)
            k = kernel.evaluate(x_vec=x)
            pm = 2 * (labels == label_set[1]) - 1
            point = {"theta": t.tolist(), "k_train": k.tolist(),
                     "alignment": alignment(k, pm, False), "centered_alignment": alignment(k, pm, True),
                     "svc_loss": {}}
            for c in (1.0, 10.0):
                point["svc_loss"][str(c)] = float(SVCLoss(C=c).evaluate(t, kernel, x, labels))
            points.append(point)
        out["cases"].append({"name": name, "num_qubits": n, "x": x.tolist(), "labels": labels.tolist(),
                             "points": points})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_training_reference.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
