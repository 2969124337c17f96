"""Prints the ratio table of hqml against qulacs and qiskit-aer from the two JSON files.

Usage: compare_simulators.py HQML_GOOGLE_BENCHMARK.json PEERS.json
Ratio = hqml time / faster peer time (< 1.0: hqml is faster).
"""
import json
import re
import sys


def main():
    hq = json.load(open(sys.argv[1]))
    peers = json.load(open(sys.argv[2]))
    ours = {}
    for b in hq["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"])
        m = re.match(r"^(qulacs_circuit|random_circuit)/double/(\d+)/t(\d+)", name)
        if m:
            key = (m.group(1), int(m.group(2)), int(m.group(3)))
        else:
            m = re.match(r"^qasmbench/([^/]+)/t(\d+)", name)
            if not m:
                continue
            key = ("qasmbench/" + m.group(1), None, int(m.group(2)))
        ms = b["real_time"] if b["time_unit"] == "ms" else b["real_time"] / 1e6
        ours[key] = ms / 1e3
    table = {}
    for r in peers:
        q = r["qubits"] if not r["family"].startswith("qasmbench/") else None
        table.setdefault((r["family"], q, r["threads"]), {})[r["peer"]] = r["seconds"]
    print("| circuit | qubits | threads | hqml (s) | qulacs (s) | qiskit-aer (s) | ratio vs faster peer |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for key in sorted(table, key=lambda k: (k[0], k[1] or 0, k[2])):
        if key not in ours:
            continue
        p = table[key]
        best = min(p.values())
        ratio = ours[key] / best
        worst = max(worst, ratio)
        qubits = key[1] if key[1] is not None else r"—"
        print(f"| {key[0]} | {qubits} | {key[2]} | {ours[key]:.4f} | {p.get('qulacs', float('nan')):.4f} | "
              f"{p.get('qiskit-aer', float('nan')):.4f} | {ratio:.2f} |")
    print(f"\nworst ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
