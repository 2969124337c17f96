"""Writes tests/reference/kernel_reference.json: feature-map states and fidelity kernels computed with
qiskit (circuit library) and qiskit-machine-learning (FidelityStatevectorKernel) for fixed data, so that
hqml's feature maps and kernels can be checked against Qiskit's without Python in the test run.

Run with a Python that has qiskit and qiskit-machine-learning:
    build/peers-venv/bin/python tests/reference/make_kernel_reference.py
"""
import json
import os

import numpy as np
import qiskit
import qiskit_machine_learning
from qiskit.circuit.library import pauli_feature_map, zz_feature_map
from qiskit.quantum_info import Statevector
from qiskit_machine_learning.kernels import FidelityStatevectorKernel

CASES = [
    # name, builder, kwargs
    ("zz_n2_reps2_full", "zz", dict(feature_dimension=2, reps=2, entanglement="full")),
    ("zz_n3_reps2_linear", "zz", dict(feature_dimension=3, reps=2, entanglement="linear")),
    ("zz_n4_reps1_circular_alpha1.5", "zz", dict(feature_dimension=4, reps=1, entanglement="circular", alpha=1.5)),
    ("zz_n4_reps2_reverse_linear", "zz", dict(feature_dimension=4, reps=2, entanglement="reverse_linear")),
    ("zz_n4_reps2_pairwise", "zz", dict(feature_dimension=4, reps=2, entanglement="pairwise")),
    ("pauli_n3_Y_XX_full", "pauli", dict(feature_dimension=3, reps=2, entanglement="full", paulis=["Y", "XX"])),
    ("pauli_n4_Z_YZ_XXZ_linear", "pauli",
     dict(feature_dimension=4, reps=1, entanglement="linear", paulis=["Z", "YZ", "XXZ"])),
    ("pauli_n3_explicit", "pauli",
     dict(feature_dimension=3, reps=2, entanglement={2: [(0, 2), (1, 0)]}, paulis=["ZZ"])),
]


def main():
    rng = np.random.default_rng(20240501)
    out = {"qiskit": qiskit.__version__, "qiskit_machine_learning": qiskit_machine_learning.__version__,
           "cases": []}
    for name, kind, kw in CASES:
        n = kw["feature_dimension"]
        x = rng.uniform(0, 2 * np.pi, size=(6, n))
        y = rng.uniform(0, 2 * np.pi, size=(4, n))
        builder = zz_feature_map if kind == "zz" else pauli_feature_map
        fm = builder(**kw)
        states = []
        for row in x:
            sv = Statevector(fm.assign_parameters(row)).data
            states.append([[float(a.real), float(a.imag)] for a in sv])
        kern = FidelityStatevectorKernel(feature_map=fm)
        k_train = kern.evaluate(x_vec=x)
        k_test = kern.evaluate(x_vec=y, y_vec=x)
        ent = kw["entanglement"]
        if isinstance(ent, dict):  # explicit index sets, keyed by block size in Qiskit's API
            ent = [list(s) for sets in ent.values() for s in sets]
        out["cases"].append({
            "name": name, "kind": kind, "num_qubits": n, "reps": kw["reps"],
            "entanglement": ent, "alpha": kw.get("alpha", 2.0), "paulis": kw.get("paulis", ["Z", "ZZ"]),
            "x": x.tolist(), "y": y.tolist(), "states": states,
            "k_train": k_train.tolist(), "k_test": k_test.tolist(),
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_reference.json")
    with open(path, "w") as fh:
        json.dump(out, fh)
    print("wrote", path)


if __name__ == "__main__":
    main()
