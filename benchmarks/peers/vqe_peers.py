"""VQE of the open transverse-field Ising chain H = -sum Z_q Z_(q+1) - sum X_q with Qiskit's real_amplitudes
ansatz (reps layers of RY on every qubit and reverse-linear CNOTs, then a last RY layer): `hqml vqe` against
the same optimization written with PennyLane Lightning (adjoint gradients) + SciPy BFGS and with qulacs
(ParametricQuantumCircuit.backprop) + SciPy BFGS. All three start from the same point (uniform in [-pi, pi),
seeded) and stop after the same number of BFGS iterations at most (or at gradient 1e-8). The line searches
differ (hqml: backtracking Armijo; SciPy: Wolfe), so iteration counts and evaluations are printed beside the
times. Times are the optimization in-process (hqml's own time_s, the peers' around scipy.optimize.minimize),
medians of --repeat runs (each run repeats the same deterministic optimization). Prints one markdown row per
chain length, with each final energy's distance to the exact (Lanczos) ground energy.

Usage: vqe_peers.py --hqml PATH [--sizes 8,12,16] [--reps 3] [--iterations 200] [--seed 1] [--repeat 3]
                    [--header]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize


def pennylane_solver(n, reps):
    import pennylane as qml

    h = qml.Hamiltonian([-1.0] * (n - 1) + [-1.0] * n,
                        [qml.PauliZ(q) @ qml.PauliZ(q + 1) for q in range(n - 1)] + [qml.PauliX(q) for q in range(n)])
    dev = qml.device("lightning.qubit", wires=n)
    config = qml.devices.ExecutionConfig(gradient_method="adjoint")

    def tape(theta):
        ops, k = [], 0
        for r in range(reps + 1):
            for q in range(n):
                ops.append(qml.RY(theta[k], wires=q))
                k += 1
            if r < reps:
                for q in range(n - 1, 0, -1):
                    ops.append(qml.CNOT(wires=[q - 1, q]))
        t = qml.tape.QuantumScript(ops, [qml.expval(h)])
        t.trainable_params = list(range(len(theta)))
        return t

    def value_and_grad(theta):
        value, jac = dev.execute_and_compute_derivatives(tape(theta), config)
        return float(value), np.asarray(jac, dtype=float).ravel()

    return value_and_grad


def qulacs_solver(n, reps):
    from qulacs import Observable, ParametricQuantumCircuit, QuantumState

    # qulacs' rotations are exp(+i theta P / 2): the same circuit takes -theta, and its gradient changes sign.
    c = ParametricQuantumCircuit(n)
    for r in range(reps + 1):
        for q in range(n):
            c.add_parametric_RY_gate(q, 0.0)
        if r < reps:
            for q in range(n - 1, 0, -1):
                c.add_CNOT_gate(q - 1, q)
    obs = Observable(n)
    for q in range(n - 1):
        obs.add_operator(-1.0, f"Z {q} Z {q + 1}")
    for q in range(n):
        obs.add_operator(-1.0, f"X {q}")
    state = QuantumState(n)

    def value_and_grad(theta):
        for k, t in enumerate(theta):
            c.set_parameter(k, -t)
        grad = -np.asarray(c.backprop(obs), dtype=float)  # runs the circuit forward itself
        state.set_zero_state()
        c.update_quantum_state(state)
        return float(obs.get_expectation_value(state).real), grad

    return value_and_grad


def scipy_bfgs(value_and_grad, x0, iterations, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        res = minimize(value_and_grad, x0, jac=True, method="BFGS", options={"maxiter": iterations, "gtol": 1e-8})
        times.append(time.perf_counter() - start)
    return res.fun, res.nit, res.nfev, statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hqml", required=True)
    ap.add_argument("--sizes", default="8,12,16")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--header", action="store_true")
    args = ap.parse_args()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if args.header:
        print("| qubits | parameters | threads | hqml (s) | PennyLane + SciPy (s) | qulacs + SciPy (s) "
              "| ratio vs faster peer | iterations (hqml / PL / qulacs) | evaluations (hqml / PL / qulacs) "
              "| energy - exact (hqml / PL / qulacs) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        x0 = np.random.default_rng(args.seed + n).uniform(-np.pi, np.pi, n * (args.reps + 1))
        runs = []
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "theta.json")
            with open(path, "w") as f:
                json.dump([float(v) for v in x0], f)
            for _ in range(args.repeat):
                out = subprocess.run([args.hqml, "vqe", "--model", "tfim", "--sites", str(n), "--field", "1",
                                      "--reps", str(args.reps), "--initial-point", path, "--iterations",
                                      str(args.iterations), "--exact", "yes", "--json"],
                                     check=True, capture_output=True, text=True).stdout
                runs.append(json.loads(out))
        h = runs[-1]
        h["time_s"] = statistics.median(r["time_s"] for r in runs)
        exact = h["exact_energy"]
        e_pl, it_pl, ev_pl, t_pl = scipy_bfgs(pennylane_solver(n, args.reps), x0, args.iterations, args.repeat)
        e_qu, it_qu, ev_qu, t_qu = scipy_bfgs(qulacs_solver(n, args.reps), x0, args.iterations, args.repeat)
        print("| %d | %d | %s | %.3f | %.3f | %.3f | %.2f | %d / %d / %d | %d / %d / %d | %.1e / %.1e / %.1e |"
              % (n, len(x0), threads, h["time_s"], t_pl, t_qu, h["time_s"] / min(t_pl, t_qu), h["iterations"],
                 it_pl, it_qu, h["energy_evaluations"], ev_pl, ev_qu, h["energy"] - exact, e_pl - exact,
                 e_qu - exact))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
