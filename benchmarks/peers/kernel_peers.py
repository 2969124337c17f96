"""Fidelity-kernel peers on the data bench_kernel dumped, and the comparison table.

  kernel_peers.py run --data DIR --threads T --out peers_T.json [--fsk-samples 1000 4000] [--pl-samples 100]
                      [--fqk-samples 200] [--qubits 4 8 12] [--reps 3] [--large-reps 1] [--slow-peers]
  kernel_peers.py table --bench-json hqml.json peers_1.json peers_2.json ...

`run` times, on the same X_<n>_<N>.npy that bench_kernel used (HQML_KERNEL_DUMP_DIR), Qiskit's ZZFeatureMap
(reps=2, entanglement='linear') with qiskit-machine-learning's FidelityStatevectorKernel and (--slow-peers)
FidelityQuantumKernel with its default exact ComputeUncompute fidelity, and PennyLane's kernel_matrix on a
default.qubit QNode computing the same fidelity (the map, then the adjoint map, probability of |0...0>). Each
peer's kernel is checked against hqml's K_<n>_<N>.npy (or its leading block): the max abs difference is printed
and must be at most 1e-6. Thread limits come from the environment (benchmarks/kernel.sh sets OMP_NUM_THREADS
and the BLAS and Rayon variables before Python starts); --threads only labels the results.

`table` prints markdown: hqml's medians (whole kernel, states and Gram phases) beside each peer's median and the
ratio peer / hqml, and the Gram phase against Eigen's complex product of the same shape.
Run through benchmarks/kernel.sh.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import gbench

TOL = 1e-6


def load(data, n, samples):
    """The first `samples` rows of the largest dump for n qubits, and hqml's kernel on them."""
    sizes = sorted(int(f.split("_")[2][:-4]) for f in os.listdir(data) if f.startswith(f"X_{n}_"))
    big = next(s for s in sizes if s >= samples)
    x = np.load(os.path.join(data, f"X_{n}_{big}.npy"))[:samples]
    k = np.load(os.path.join(data, f"K_{n}_{big}.npy"))[:samples, :samples]
    return x, k


def zz_map(n):
    from qiskit.circuit.library import zz_feature_map

    return zz_feature_map(n, reps=2, entanglement="linear")


def fsk(n):
    from qiskit_machine_learning.kernels import FidelityStatevectorKernel

    fm = zz_map(n)
    # A new kernel per call: evaluate() clears the statevector cache anyway (auto_clear_cache).
    return lambda x: FidelityStatevectorKernel(feature_map=fm).evaluate(x)


def fqk(n):
    from qiskit_machine_learning.kernels import FidelityQuantumKernel

    fm = zz_map(n)
    return lambda x: FidelityQuantumKernel(feature_map=fm).evaluate(x)


def pennylane(n):
    import pennylane as qml

    dev = qml.device("default.qubit", wires=n)

    def zz(v):
        # Qiskit's ZZFeatureMap: per rep H on all qubits, P(2 x_i), then CX · P(2 (π − x_i)(π − x_i+1)) · CX.
        for _ in range(2):
            for i in range(n):
                qml.Hadamard(wires=i)
            for i in range(n):
                qml.PhaseShift(2.0 * v[i], wires=i)
            for i in range(n - 1):
                qml.CNOT(wires=[i, i + 1])
                qml.PhaseShift(2.0 * (np.pi - v[i]) * (np.pi - v[i + 1]), wires=i + 1)
                qml.CNOT(wires=[i, i + 1])

    @qml.qnode(dev)
    def overlap(a, b):
        zz(a)
        qml.adjoint(zz)(b)
        return qml.probs(wires=range(n))

    return lambda x: np.asarray(qml.kernels.kernel_matrix(x, x, lambda a, b: overlap(a, b)[0]))


PEERS = {"qiskit-ml FidelityStatevectorKernel": fsk, "qiskit-ml FidelityQuantumKernel": fqk,
         "PennyLane kernel_matrix default.qubit": pennylane}


def time_peer(name, n, samples, reps, data, threads):
    x, k_hqml = load(data, n, samples)
    fn = PEERS[name](n)
    times, k = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        k = fn(x)
        times.append(time.perf_counter() - t0)
    diff = float(np.abs(k - k_hqml).max())
    rec = {"peer": name, "n": n, "N": samples, "threads": threads, "times_ms": [1e3 * t for t in times],
           "median_ms": 1e3 * statistics.median(times), "max_abs_diff": diff}
    print(f"{name}: n={n} N={samples} threads={threads} median {rec['median_ms']:.1f} ms over {reps} "
          f"(runs {', '.join(f'{t:.0f}' for t in rec['times_ms'])}), max |K_peer - K_hqml| = {diff:.2e}",
          flush=True)
    if not diff <= TOL:
        sys.exit(f"kernel_peers.py: {name} disagrees with hqml by {diff:.3e} > {TOL} (n={n}, N={samples})")
    return rec


def run(args):
    import pennylane
    import qiskit
    import qiskit_machine_learning

    out = {"versions": {"qiskit": qiskit.__version__, "qiskit-machine-learning": qiskit_machine_learning.__version__,
                        "pennylane": pennylane.__version__, "numpy": np.__version__},
           "results": []}
    for n in args.qubits:
        for samples in args.fsk_samples:
            reps = args.reps if samples <= 1000 else args.large_reps
            out["results"].append(time_peer("qiskit-ml FidelityStatevectorKernel", n, samples, reps, args.data,
                                            args.threads))
        if args.slow_peers:
            for samples in args.fqk_samples:
                out["results"].append(time_peer("qiskit-ml FidelityQuantumKernel", n, samples, args.slow_reps,
                                                args.data, args.threads))
            for samples in args.pl_samples:
                out["results"].append(time_peer("PennyLane kernel_matrix default.qubit", n, samples, args.slow_reps,
                                                args.data, args.threads))
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


def bench_medians(path):
    """{(benchmark, n, N, threads): median ms} from bench_kernel's JSON."""
    return {(name[0], int(name[1]), int(name[2]), int(name[3])): ms for name, ms, _ in gbench.medians(path)}


def table(args):
    hq = bench_medians(args.bench_json)
    peers = []
    for p in args.peers:
        with open(p) as f:
            d = json.load(f)
        versions = d["versions"]
        peers += d["results"]
    print(", ".join(f"{k} {v}" for k, v in versions.items()))
    print()
    print("| peer | n | N | threads | hqml kernel median (ms) | peer median (ms) | peer runs | peer / hqml "
          "| max abs diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in sorted(peers, key=lambda r: (r["peer"], r["n"], r["N"], r["threads"])):
        h = hq.get(("kernel", r["n"], r["N"], r["threads"]))
        hs, ratio = (f"{h:.2f}", f"{r['median_ms'] / h:.0f}x") if h else ("-", "-")
        print(f"| {r['peer']} | {r['n']} | {r['N']} | {r['threads']} | {hs} | {r['median_ms']:.0f} "
              f"| {len(r['times_ms'])} | {ratio} | {r['max_abs_diff']:.1e} |")
    print()
    print("Gram phase against Eigen's products of the same shape (N × 2^n states; medians in ms). Fraction = "
          "Eigen complex GEMM time / hqml Gram time, i.e. hqml's throughput on the nominal 8·N²·2^n flops of the "
          "complex product as a fraction of Eigen's.")
    print()
    print("| n | N | threads | states (ms) | Gram (ms) | whole kernel (ms) | Eigen complex GEMM (ms) "
          "| Eigen Hermitian rankUpdate (ms) | Eigen real GEMM N×2^(n+1) (ms) | Gram GFLOP/s (nominal) "
          "| Gram / Eigen complex GEMM |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    keys = sorted({k[1:] for k in hq if k[0] == "gram"})
    for n, samples, threads in keys:
        g = hq[("gram", n, samples, threads)]
        z = hq.get(("eigen_zgemm", n, samples, threads), float("nan"))
        flops = 8.0 * samples * samples * 2**n
        print(f"| {n} | {samples} | {threads} | {hq.get(('states', n, samples, threads), float('nan')):.1f} "
              f"| {g:.1f} | {hq.get(('kernel', n, samples, threads), float('nan')):.1f} | {z:.1f} "
              f"| {hq.get(('eigen_zherk', n, samples, threads), float('nan')):.1f} "
              f"| {hq.get(('eigen_dgemm', n, samples, threads), float('nan')):.1f} | {flops / g * 1e-6:.1f} "
              f"| {z / g:.0%} |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--data", required=True)
    r.add_argument("--threads", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--qubits", type=int, nargs="+", default=[4, 8, 12])
    r.add_argument("--fsk-samples", type=int, nargs="*", default=[1000, 4000])
    r.add_argument("--fqk-samples", type=int, nargs="*", default=[200])
    r.add_argument("--pl-samples", type=int, nargs="*", default=[100])
    r.add_argument("--reps", type=int, default=3, help="repetitions up to N = 1000")
    r.add_argument("--large-reps", type=int, default=1, help="repetitions above N = 1000")
    r.add_argument("--slow-reps", type=int, default=1, help="repetitions of FidelityQuantumKernel and PennyLane")
    r.add_argument("--slow-peers", action="store_true", help="also FidelityQuantumKernel and PennyLane")
    t = sub.add_parser("table")
    t.add_argument("--bench-json", required=True)
    t.add_argument("peers", nargs="+")
    args = ap.parse_args()
    run(args) if args.cmd == "run" else table(args)


if __name__ == "__main__":
    main()
