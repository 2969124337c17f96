"""QAOA for Max-Cut of random 3-regular graphs: `hqml anneal --solver qaoa` against the same algorithm written
with PennyLane Lightning (adjoint gradients) and SciPy's BFGS: p = 1 from the best point of a 12 x 12 grid of
(gamma, beta) in (0, pi) x (0, pi/2), then BFGS for p = 1..P, each p from the last optimum interpolated
(INTERP). hqml's Ising form is H_C = sum_(ij) Z_i Z_j (E = sum s_i s_j, cut = (|E| - E) / 2); the PennyLane
circuit uses the same gates (RZZ(2 gamma), RX(2 beta)) and the same H_C. Prints one markdown row per graph:
wall times (hqml: the whole command, process start included; PennyLane: the optimization in-process) and the
final <H_C> of each.

Usage: qaoa_peers.py --hqml PATH [--sizes 8,12,16] [--layers 3] [--seed 1] [--header]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import minimize


def random_regular(n, seed):
    """A random 3-regular simple graph by the pairing model (retried until simple)."""
    rng = np.random.default_rng(seed)
    while True:
        stubs = np.repeat(np.arange(n), 3)
        rng.shuffle(stubs)
        pairs = stubs.reshape(-1, 2)
        edges = {tuple(sorted(p)) for p in pairs}
        if len(edges) == len(pairs) and all(a != b for a, b in edges):
            return sorted(edges)


def pennylane_qaoa(n, edges, layers):
    import pennylane as qml

    h = qml.Hamiltonian([1.0] * len(edges), [qml.PauliZ(a) @ qml.PauliZ(b) for a, b in edges])
    dev = qml.device("lightning.qubit", wires=n)
    config = qml.devices.ExecutionConfig(gradient_method="adjoint")

    def tape(theta, p):
        ops = [qml.Hadamard(wires=q) for q in range(n)]
        for l in range(p):
            for a, b in edges:
                ops.append(qml.IsingZZ(2 * theta[l], wires=[a, b]))
            for q in range(n):
                ops.append(qml.RX(2 * theta[p + l], wires=q))
        t = qml.tape.QuantumScript(ops, [qml.expval(h)])
        return t

    def value_and_grad(theta, p):
        # The tape's trainable parameters are the gate angles: 2γ_l on every edge, 2β_l on every qubit.
        t = tape(theta, p)
        t.trainable_params = list(range(p * (len(edges) + n)))
        value, jac = dev.execute_and_compute_derivatives(t, config)
        jac = np.asarray(jac, dtype=float).ravel()
        g = np.zeros(2 * p)
        k = 0
        for l in range(p):
            g[l] += 2 * jac[k:k + len(edges)].sum()
            k += len(edges)
            g[p + l] += 2 * jac[k:k + n].sum()
            k += n
        return float(value), g

    start = time.perf_counter()
    best = None
    for a in range(12):
        for b in range(12):
            th = np.array([(a + 0.5) / 12 * np.pi, (b + 0.5) / 12 * np.pi / 2])
            v = float(dev.execute(tape(th, 1)))
            if best is None or v < best[0]:
                best = (v, th)
    theta = best[1]
    value = best[0]
    for p in range(1, layers + 1):
        if p > 1:
            q = p - 1
            nxt = np.zeros(2 * p)
            for part in range(2):
                for i in range(1, p + 1):
                    prev = theta[part * q + i - 2] if i >= 2 else 0.0
                    cur = theta[part * q + i - 1] if i <= q else 0.0
                    nxt[part * p + i - 1] = ((i - 1) * prev + (p - i) * cur) / q
            theta = nxt
        res = minimize(value_and_grad, theta, args=(p,), jac=True, method="BFGS", options={"gtol": 1e-8})
        theta, value = res.x, res.fun
    return value, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hqml", required=True)
    ap.add_argument("--sizes", default="8,12,16")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--header", action="store_true")
    args = ap.parse_args()
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if args.header:
        print("| vertices | edges | p | threads | hqml (s) | PennyLane + SciPy (s) | PennyLane / hqml | hqml <H_C> "
              "| PennyLane <H_C> |")
        print("|---|---|---|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        edges = random_regular(n, args.seed + n)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "g.txt")
            with open(path, "w") as f:
                f.write("%d %d\n" % (n, len(edges)))
                for a, b in edges:
                    f.write("%d %d 1\n" % (a + 1, b + 1))
            t0 = time.perf_counter()
            out = subprocess.run([args.hqml, "anneal", path, "--format", "gset", "--solver", "qaoa", "--layers",
                                  str(args.layers), "--reads", "1000", "--seed", "1", "--json"],
                                 check=True, capture_output=True, text=True).stdout
            t_hqml = time.perf_counter() - t0
        e_hqml = json.loads(out)["qaoa"]["expectation"]
        e_pl, t_pl = pennylane_qaoa(n, edges, args.layers)
        print("| %d | %d | %d | %s | %.3f | %.3f | %.1f | %.6f | %.6f |"
              % (n, len(edges), args.layers, threads, t_hqml, t_pl, t_pl / t_hqml, e_hqml, e_pl))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
