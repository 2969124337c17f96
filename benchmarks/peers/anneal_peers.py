#!/usr/bin/env python3
"""Simulated annealing peers on Gset instances: dwave-samplers' SimulatedAnnealingSampler and
OpenJij's SASampler, at the reads x sweeps hqml's bench_anneal uses. Prints one JSON object per
(peer, instance) on stdout: spin updates per second over the sampling time, mean and best energy.

Usage: anneal_peers.py --gset-dir DIR --instances G14,G22 --reads 10 --sweeps 1000 --repetitions 3
Run it once per thread count with OMP_NUM_THREADS set (neither peer threads its SA loop).
"""
import argparse
import json
import os
import statistics
import sys
import time


def read_gset(path):
    with open(path) as f:
        n, m = map(int, f.readline().split())
        J = {}
        for line in f:
            parts = line.split()
            if not parts:
                continue
            i, j, w = int(parts[0]) - 1, int(parts[1]) - 1, float(parts[2])
            key = (min(i, j), max(i, j))
            J[key] = J.get(key, 0.0) + w
    return n, J


def run_dwave(n, J, reads, sweeps, seed):
    import dimod
    from dwave.samplers import SimulatedAnnealingSampler

    bqm = dimod.BQM.from_ising({i: 0.0 for i in range(n)}, J)
    c0, t0 = time.process_time(), time.perf_counter()
    r = SimulatedAnnealingSampler().sample(bqm, num_reads=reads, num_sweeps=sweeps, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # sampling_ns covers the C++ annealing loop only (no BQM conversion): the peer's best case.
    t = r.info["timing"]["sampling_ns"] * 1e-9
    e, k = r.record.energy, r.record.num_occurrences
    return t, wall, cpu, float((e * k).sum() / k.sum()), float(e.min())


def run_openjij(n, J, reads, sweeps, seed):
    import dimod
    import openjij as oj

    bqm = dimod.BQM.from_ising({i: 0.0 for i in range(n)}, J)
    # No seed: OpenJij 0.12 restarts every read from the same seed, so seeded reads are identical
    # and their mean energy would be that of a single read.
    c0, t0 = time.process_time(), time.perf_counter()
    r = oj.SASampler().sample(bqm, num_reads=reads, num_sweeps=sweeps)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # OpenJij reports its sampling time in microseconds when it measures it.
    info = getattr(r, "info", {}) or {}
    t = info.get("sampling_time", None)
    t = t * 1e-6 if t else wall
    e, k = r.record.energy, r.record.num_occurrences
    return t, wall, cpu, float((e * k).sum() / k.sum()), float(e.min())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gset-dir", required=True)
    ap.add_argument("--instances", default="G14,G22,G55,G70")
    ap.add_argument("--reads", type=int, default=10)
    ap.add_argument("--sweeps", type=int, default=1000)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--peers", default="dwave,openjij")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    runners = {"dwave": run_dwave, "openjij": run_openjij}
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    for name in a.instances.split(","):
        path = os.path.join(a.gset_dir, name + ".txt")
        if not os.path.exists(path):
            print(f"anneal_peers: skipping {name} (no {path})", file=sys.stderr)
            continue
        n, J = read_gset(path)
        W = sum(J.values())
        for peer in a.peers.split(","):
            times, walls, cpus, means, bests = [], [], [], [], []
            for rep in range(a.repetitions):
                t, wall, cpu, mean, best = runners[peer](n, J, a.reads, a.sweeps, a.seed + rep)
                times.append(t)
                walls.append(wall)
                cpus.append(cpu)
                means.append(mean)
                bests.append(best)
            t = statistics.median(times)
            print(json.dumps({
                "peer": peer, "instance": name, "threads": threads, "n": n,
                "reads": a.reads, "sweeps": a.sweeps,
                "time_s": t, "wall_s": statistics.median(walls),
                "updates_per_s": n * a.reads * a.sweeps / t,
                # CPU time of the whole sample() call (process-wide), an upper bound on the loop's.
                "updates_per_cpu_s": n * a.reads * a.sweeps / statistics.median(cpus),
                "mean_energy": statistics.mean(means), "best_energy": min(bests),
                "mean_cut": (W - statistics.mean(means)) / 2, "best_cut": (W - min(bests)) / 2,
            }), flush=True)


if __name__ == "__main__":
    main()
