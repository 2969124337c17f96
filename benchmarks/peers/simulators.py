"""Times qulacs and qiskit-aer on the circuits bench_simulator runs, and writes JSON.

Usage: simulators.py --threads 1,2 --min-qubits 12 --max-qubits 24 [--qasmbench DIR] --out FILE

Each peer is timed on the state-vector simulation only (no sampling, no copying the state out):
qulacs' update_quantum_state, and qiskit-aer's own reported execution time for one shot of the
circuit with its default gate fusion. Median of --repeats runs.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np


def qulacs_layers(n, layers=10, seed=0):
    """The same angles as bench_simulator's qulacs_benchmark_circuit (std::mt19937_64 is not numpy's,
    so angles differ; the gate structure, which alone sets the cost, is identical)."""
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(layers):
        for q in range(n):
            ops.append(("rx", q, rng.uniform(0, 2 * np.pi)))
            ops.append(("rz", q, rng.uniform(0, 2 * np.pi)))
        for q in range(n):
            ops.append(("cx", q, (q + 1) % n))
    return ops


def random_layers(n, depth=20, seed=7):
    rng = np.random.default_rng(seed)
    ops = []
    for d in range(depth):
        for q in range(n):
            ops.append(("u", q, tuple(rng.uniform(0, 2 * np.pi, 3))))
        for q in range(d % 2, n - 1, 2):
            ops.append(("cz", q, q + 1))
    return ops


def to_qiskit(n, ops):
    from qiskit import QuantumCircuit

    c = QuantumCircuit(n)
    for op in ops:
        if op[0] == "rx":
            c.rx(op[2], op[1])
        elif op[0] == "rz":
            c.rz(op[2], op[1])
        elif op[0] == "cx":
            c.cx(op[1], op[2])
        elif op[0] == "cz":
            c.cz(op[1], op[2])
        elif op[0] == "u":
            c.u(*op[2], op[1])
    return c


def to_qulacs(n, ops):
    from qulacs import QuantumCircuit
    from qulacs.gate import U3

    c = QuantumCircuit(n)
    for op in ops:
        if op[0] == "rx":
            c.add_RX_gate(op[1], op[2])
        elif op[0] == "rz":
            c.add_RZ_gate(op[1], op[2])
        elif op[0] == "cx":
            c.add_CNOT_gate(op[1], op[2])
        elif op[0] == "cz":
            c.add_CZ_gate(op[1], op[2])
        elif op[0] == "u":
            c.add_gate(U3(op[1], *op[2]))
    return c


def qiskit_to_qulacs(qc):
    """Transpile a Qiskit circuit to u/cx and rebuild it in qulacs."""
    from qiskit import transpile
    from qulacs import QuantumCircuit
    from qulacs.gate import U3

    t = transpile(qc, basis_gates=["u", "cx"], optimization_level=0)
    c = QuantumCircuit(t.num_qubits)
    for inst in t.data:
        name = inst.operation.name
        qs = [t.find_bit(q).index for q in inst.qubits]
        if name == "u":
            c.add_gate(U3(qs[0], *[float(p) for p in inst.operation.params]))
        elif name == "cx":
            c.add_CNOT_gate(qs[0], qs[1])
        elif name in ("barrier", "measure"):
            continue
        else:
            raise ValueError(f"unexpected gate {name}")
    return c


def time_qulacs(n, circ, repeats):
    from qulacs import QuantumState

    s = QuantumState(n)
    times = []
    for _ in range(repeats):
        s.set_zero_state()
        t0 = time.perf_counter()
        circ.update_quantum_state(s)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_aer(qc, threads, repeats):
    from qiskit_aer import AerSimulator

    sim = AerSimulator(method="statevector", max_parallel_threads=threads, statevector_parallel_threshold=1)
    c = qc.copy()
    c.measure_all()
    times = []
    for _ in range(repeats):
        r = sim.run(c, shots=1).result()
        times.append(r.results[0].time_taken)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--min-qubits", type=int, default=12)
    ap.add_argument("--max-qubits", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--qasmbench", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    results = []
    threads = [int(t) for t in args.threads.split(",")]
    for t in threads:
        # qulacs reads OMP_NUM_THREADS when its library loads, so each thread count runs in a child process.
        if os.environ.get("HQML_PEER_CHILD") != str(t):
            continue
        for n in range(args.min_qubits, args.max_qubits + 1, 2):
            for family, ops in (("qulacs_circuit", qulacs_layers(n)), ("random_circuit", random_layers(n))):
                rep = args.repeats if n < 24 else 1
                results.append({"family": family, "qubits": n, "threads": t, "peer": "qulacs",
                                "seconds": time_qulacs(n, to_qulacs(n, ops), rep)})
                results.append({"family": family, "qubits": n, "threads": t, "peer": "qiskit-aer",
                                "seconds": time_aer(to_qiskit(n, ops), t, rep)})
                print(results[-2], results[-1], file=sys.stderr, flush=True)
        if args.qasmbench and os.path.isdir(args.qasmbench):
            from qiskit import QuantumCircuit

            for f in sorted(os.listdir(args.qasmbench)):
                if not f.endswith(".qasm"):
                    continue
                try:
                    qc = QuantumCircuit.from_qasm_file(os.path.join(args.qasmbench, f))
                    qc.remove_final_measurements()
                    if qc.num_qubits > args.max_qubits:
                        continue
                    if any(i.operation.name in ("measure", "reset") for i in qc.data):
                        continue
                    ql = qiskit_to_qulacs(qc)
                except Exception as e:  # circuits with `if` etc.
                    print(f"skip {f}: {e}", file=sys.stderr)
                    continue
                stem = f[:-5]
                results.append({"family": "qasmbench/" + stem, "qubits": qc.num_qubits, "threads": t,
                                "peer": "qulacs", "seconds": time_qulacs(qc.num_qubits, ql, args.repeats)})
                from qiskit import transpile

                # Aer takes its own basis; custom QASM gates are unrolled first (not timed).
                qc_aer = transpile(qc, basis_gates=["u", "cx"], optimization_level=0)
                results.append({"family": "qasmbench/" + stem, "qubits": qc.num_qubits, "threads": t,
                                "peer": "qiskit-aer", "seconds": time_aer(qc_aer, t, args.repeats)})
                print(results[-2], results[-1], file=sys.stderr, flush=True)
    if os.environ.get("HQML_PEER_CHILD"):
        with open(args.out, "w") as fh:
            json.dump(results, fh)
        return
    # Parent: one child per thread count, results merged.
    import subprocess

    merged = []
    for t in threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), HQML_PEER_CHILD=str(t))
        part = f"{args.out}.t{t}"
        subprocess.run([sys.executable] + sys.argv[:1] + sys.argv[1:] + ["--out", part], env=env, check=True)
        with open(part) as fh:
            merged += json.load(fh)
        os.remove(part)
    with open(args.out, "w") as fh:
        json.dump(merged, fh, indent=1)


if __name__ == "__main__":
    main()
