"""Qiskit's qs_decomposition on the unitaries bench_synthesis wrote, and the comparison table.

Reads u_<k>.npy and hqml_<k>.qasm from --data (written by bench_synthesis with HQML_SYNTH_DUMP_DIR set),
times Qiskit's quantum Shannon decomposition plus its OpenQASM 2 text (what hqml::to_qasm does), counts
the gates both write, checks both circuits against the matrix with Qiskit's Operator (up to global
phase; for hqml's text, read back by Qiskit's own parser), and prints one table with bench_synthesis'
medians (--bench-json) beside it. Run through benchmarks/synthesis.sh.
"""
import argparse
import os
import statistics
import time

import numpy as np
import qiskit
from qiskit import qasm2
from qiskit.quantum_info import Operator
from qiskit.synthesis import qs_decomposition

import gbench


def error_up_to_phase(a, b):
    i = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    return float(np.max(np.abs(a * (b[i] / a[i]) - b)))


def counts(circuit):
    two = sum(1 for inst in circuit.data if inst.operation.num_qubits == 2)
    one = sum(1 for inst in circuit.data if inst.operation.num_qubits == 1)
    return two, one


def bench_medians(path):
    """{k: (median ms, two-qubit gates, one-qubit gates, max error)} from bench_synthesis' JSON."""
    return {int(name[1]): (ms, b["two_qubit_gates"], b["one_qubit_gates"], b["max_error"])
            for name, ms, b in gbench.medians(path)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--bench-json", required=True)
    args = ap.parse_args()
    medians = bench_medians(args.bench_json)
    sizes = sorted(int(f[2:-4]) for f in os.listdir(args.data) if f.startswith("u_") and f.endswith(".npy"))
    print(f"qiskit {qiskit.__version__}, numpy {np.__version__}")
    print("| k | hqml 2q gates | Qiskit 2q gates | Qiskit / hqml | hqml 1q | Qiskit 1q | hqml median (ms) "
          "| Qiskit median (ms) | Qiskit / hqml time | hqml error (Qiskit's check) | Qiskit error |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for k in sizes:
        u = np.load(os.path.join(args.data, f"u_{k}.npy"))
        times, circuit = [], None
        for _ in range(args.reps):
            t0 = time.perf_counter()
            circuit = qs_decomposition(u)
            qasm2.dumps(circuit)
            times.append(time.perf_counter() - t0)
        qk_two, qk_one = counts(circuit)
        qk_err = error_up_to_phase(Operator(circuit).data, u)
        with open(os.path.join(args.data, f"hqml_{k}.qasm")) as f:
            ours = qasm2.loads(f.read(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        hq_err = error_up_to_phase(Operator(ours).data, u)
        hq_two, hq_one = counts(ours)
        hq_ms, b_two, b_one, _ = medians[k]
        assert (hq_two, hq_one) == (int(b_two), int(b_one)), "bench counters and the dumped text disagree"
        qk_ms = 1e3 * statistics.median(times)
        print(f"| {k} | {hq_two} | {qk_two} | {qk_two / hq_two:.2f} | {hq_one} | {qk_one} | {hq_ms:.2f} "
              f"| {qk_ms:.2f} | {qk_ms / hq_ms:.2f} | {hq_err:.1e} | {qk_err:.1e} |")


if __name__ == "__main__":
    main()
