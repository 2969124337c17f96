#!/usr/bin/env python3
"""Qiskit's statevectors of the QASMBench *small* circuits, for tests/qasm/test_qasmbench_statevector.cpp.

Run with the Python of a venv that has qiskit:

    python tests/reference/make_qasmbench_reference.py [--qasmbench DIR] [--out-dir DIR]

Each circuit is loaded with QuantumCircuit.from_qasm_file (Qiskit's usual reader: qelib1.inc gates
become Qiskit's standard gates, with their matrices), its final measurements are removed
(remove_final_measurements), and Statevector(circuit) is written with full double precision:

    qasmbench_small_statevectors.json  {file name: {"num_qubits": n, "statevector": [[re, im], ...]}}
                                       (Qiskit's order: bit q of the index is qubit q)
    qasmbench_small_skipped.json       {"qiskit": version, "skipped": {file name: reason}}

Circuits Qiskit cannot read, and those with `if`, reset or a measurement that is not final, are
skipped and listed.
"""

import argparse
import json
import pathlib
import sys

import qiskit
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_QASMBENCH = HERE.parent.parent.parent / "shared" / "data" / "qasmbench"


def reason_to_skip(circ):
    """Why Statevector cannot represent the circuit after its final measurements are gone, or None."""
    names = {inst.operation.name for inst in circ.data}
    if "if_else" in names or any(getattr(inst.operation, "condition", None) for inst in circ.data):
        return "classically controlled operation (if)"
    if "reset" in names:
        return "reset"
    if "measure" in names:
        return "mid-circuit measurement"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qasmbench", type=pathlib.Path, default=DEFAULT_QASMBENCH,
                        help="the QASMBench folder holding small/ (default: %(default)s)")
    parser.add_argument("--out-dir", type=pathlib.Path, default=HERE, help="where to write (default: %(default)s)")
    args = parser.parse_args()

    small = args.qasmbench / "small"
    files = sorted(small.glob("*.qasm"))
    if not files:
        sys.exit(f"no .qasm files in {small}")

    states, skipped = {}, {}
    for path in files:
        try:
            circ = QuantumCircuit.from_qasm_file(str(path))
        except Exception as exc:  # Qiskit's QASM2ParseError and friends: the file itself is broken
            skipped[path.name] = f"qiskit cannot read it: {exc}"
            continue
        circ = circ.remove_final_measurements(inplace=False)
        why = reason_to_skip(circ)
        if why:
            skipped[path.name] = why
            continue
        sv = Statevector(circ).data
        states[path.name] = {
            "num_qubits": circ.num_qubits,
            "statevector": [[float(z.real), float(z.imag)] for z in sv],
        }

    args.out_dir.mkdir(parents=True, exist_ok=True)
    # json writes floats with repr(), the shortest text that reads back as the same double.
    with open(args.out_dir / "qasmbench_small_statevectors.json", "w") as f:
        json.dump(states, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    with open(args.out_dir / "qasmbench_small_skipped.json", "w") as f:
        json.dump({"qiskit": qiskit.__version__, "skipped": skipped}, f, indent=1, sort_keys=True)
        f.write("\n")

    print(f"{len(states)} statevectors written; {len(skipped)} circuits skipped:")
    for name, why in sorted(skipped.items()):
        print(f"  {name}: {why}")


if __name__ == "__main__":
    main()
