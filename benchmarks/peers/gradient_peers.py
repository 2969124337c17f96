"""Adjoint gradients of the Ising-chain expectation of bench_gradient's ansatz in PennyLane Lightning
(lightning.qubit, execute_and_compute_derivatives with gradient_method="adjoint") and qulacs
(ParametricQuantumCircuit.backprop), timed as medians of --reps runs at one thread count (set
OMP_NUM_THREADS before starting this script: both read it when they load). Each peer's value and
gradient are checked against hqml's dump; prints markdown rows with hqml's medians from its JSON.

Usage: gradient_peers.py --threads T --data DUMP_DIR --bench-json hqml.json [--reps 5] [--header]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gbench import medians  # noqa: E402

LAYERS = 4


def angles(count):
    return np.array([3.0 * np.sin(0.7 * k + 0.3) for k in range(count)])


def pennylane_runner(n, theta):
    import pennylane as qml

    ops = []
    k = 0
    for _ in range(LAYERS):
        for q in range(n):
            ops.append(qml.RY(theta[k], wires=q))
            ops.append(qml.RZ(theta[k + 1], wires=q))
            k += 2
        for q in range(n):
            ops.append(qml.CNOT(wires=[q, (q + 1) % n]))
    h = qml.Hamiltonian([-1.0] * (n - 1) + [-0.7] * n,
                        [qml.PauliZ(q) @ qml.PauliZ(q + 1) for q in range(n - 1)] + [qml.PauliX(q) for q in range(n)])
    tape = qml.tape.QuantumScript(ops, [qml.expval(h)])
    tape.trainable_params = list(range(len(theta)))
    dev = qml.device("lightning.qubit", wires=n)
    config = qml.devices.ExecutionConfig(gradient_method="adjoint")

    def run():
        value, jac = dev.execute_and_compute_derivatives(tape, config)
        return float(value), np.asarray(jac, dtype=float).ravel()

    return run


def qulacs_runner(n, theta):
    from qulacs import Observable, ParametricQuantumCircuit

    # qulacs' rotations are exp(+iθP/2): the same circuit takes −θ, and its gradient changes sign.
    c = ParametricQuantumCircuit(n)
    k = 0
    for _ in range(LAYERS):
        for q in range(n):
            c.add_parametric_RY_gate(q, -theta[k])
            c.add_parametric_RZ_gate(q, -theta[k + 1])
            k += 2
        for q in range(n):
            c.add_CNOT_gate(q, (q + 1) % n)
    obs = Observable(n)
    for q in range(n - 1):
        obs.add_operator(-1.0, f"Z {q} Z {q + 1}")
    for q in range(n):
        obs.add_operator(-0.7, f"X {q}")

    def run():
        from qulacs import QuantumState

        grad = -np.asarray(c.backprop(obs), dtype=float)  # backprop runs the circuit forward itself
        state = QuantumState(n)
        c.update_quantum_state(state)
        return float(obs.get_expectation_value(state).real), grad

    def timed():
        return c.backprop(obs)

    return run, timed


def median_ms(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--bench-json", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--header", action="store_true")
    args = ap.parse_args()
    if os.environ.get("OMP_NUM_THREADS") != str(args.threads):
        sys.exit("set OMP_NUM_THREADS=%d before starting this script" % args.threads)

    hqml = {}
    for parts, ms, rec in medians(args.bench_json):
        if parts[0] == "BM_adjoint_gradient" and int(parts[2]) == args.threads:
            hqml[int(parts[1])] = (ms, int(rec["params"]))
    if args.header:
        print("| qubits | parameters | threads | hqml (ms) | PennyLane Lightning (ms) | qulacs (ms) "
              "| ratio vs faster peer | max gradient difference |")
        print("|---|---|---|---|---|---|---|---|")
    for n in sorted(hqml):
        ms, params = hqml[n]
        with open(os.path.join(args.data, "grad_%d.txt" % n)) as f:
            ref = np.array([float(v) for v in f.read().split()])
        theta = angles(params)
        pl = pennylane_runner(n, theta)
        ql_check, ql_timed = qulacs_runner(n, theta)
        diff = 0.0
        for value, grad in (pl(), ql_check()):
            if grad.shape != ref[1:].shape:
                sys.exit("n = %d: a peer returned %d derivatives, hqml %d" % (n, grad.size, ref.size - 1))
            diff = max(diff, abs(value - ref[0]), float(np.max(np.abs(grad - ref[1:]))))
        if diff > 1e-9:
            sys.exit("n = %d: a peer's gradient differs from hqml's by %.3g" % (n, diff))
        t_pl = median_ms(pl, args.reps)
        t_ql = median_ms(ql_timed, args.reps)
        print("| %d | %d | %d | %.3f | %.3f | %.3f | %.2f | %.1e |"
              % (n, params, args.threads, ms, t_pl, t_ql, ms / min(t_pl, t_ql), diff))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
