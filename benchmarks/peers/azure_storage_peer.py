#!/usr/bin/env python3
"""The Python SDK's side of benchmarks/azure_storage.sh: the same object written and read back as
azure_storage_bench does, with azure-storage-blob (upload_blob / download_blob) or azure-storage-file-datalake
(upload_data / download_file), against the loopback storage server, SharedKey with the account key.

    azure_storage_peer.py run --endpoint URL --service blob|dfs --container C --name N [--bytes N] [--seed S]
                              [--concurrency K]
        Generates N bytes (random.Random(seed).randbytes in 16 MiB pieces, untimed), uploads them (overwrite=True),
        downloads them (readall), checks that the bytes are equal (untimed), deletes the object, and prints one JSON
        line with the times and MB/s (10^6 bytes). --concurrency is the SDK's max_concurrency for both directions
        (its default is 1); the block and chunk sizes stay the SDK's defaults: Blob 4 MiB blocks above a 64 MiB
        single-put limit, reads of 32 MiB first, then 4 MiB chunks; Data Lake appends of 100 MiB, reads as Blob.
    azure_storage_peer.py sas --endpoint URL --container C
        Creates the container and prints a container SAS query string (read, write, create, delete; one hour),
        for the plain-curl ceiling.
    azure_storage_peer.py versions
        Prints the SDK versions.
    azure_storage_peer.py sample --pid PID --out FILE [--interval S]
        Samples the server's CPU time and the machine's (/proc) until the server exits (standard library only).
    azure_storage_peer.py table --runs RUNS.jsonl --samples FILE
        The markdown tables of azure_storage.sh: every run, then medians and ratios per service and direction, with
        the server's CPU during each transfer (standard library only).

URL is the account endpoint, path-style: http://127.0.0.1:PORT/devstoreaccount1 (Azurite's form).
"""
import argparse
import datetime
import json
import os
import random
import sys
import time

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="



def sdk():
    """The SDK modules, imported only by the commands that use them (sample and table run without the venv)."""
    try:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas
        from azure.storage.filedatalake import DataLakeServiceClient
    except ImportError as e:
        print("azure_storage_peer: the azure SDKs are missing (%s): run it with build/azure-venv/bin/python, made "
              "by tests/python/setup-venv.sh azure" % e, file=sys.stderr)
        sys.exit(1)
    return argparse.Namespace(ResourceExistsError=ResourceExistsError, BlobServiceClient=BlobServiceClient,
                              ContainerSasPermissions=ContainerSasPermissions,
                              generate_container_sas=generate_container_sas,
                              DataLakeServiceClient=DataLakeServiceClient)


def credential():
    return {"account_name": ACCOUNT, "account_key": KEY}


def run(a):
    z = sdk()
    ResourceExistsError = z.ResourceExistsError
    rng, piece = random.Random(a.seed), 1 << 24  # randbytes takes at most 2^31 - 1 bits per call
    data = b"".join(rng.randbytes(min(piece, a.bytes - o)) for o in range(0, a.bytes, piece))
    k = a.concurrency
    if a.service == "blob":
        svc = z.BlobServiceClient(a.endpoint, credential=credential())
        cont = svc.get_container_client(a.container)
        try:
            cont.create_container()
        except ResourceExistsError:
            pass
        client = cont.get_blob_client(a.name)
        w0 = time.time()
        t0 = time.perf_counter()
        client.upload_blob(data, overwrite=True, max_concurrency=k)
        write_s = time.perf_counter() - t0
        w1 = r0 = time.time()
        t0 = time.perf_counter()
        got = client.download_blob(max_concurrency=k).readall()
        read_s = time.perf_counter() - t0
        r1 = time.time()
        ok = got == data
        client.delete_blob()
    else:
        svc = z.DataLakeServiceClient(a.endpoint, credential=credential())
        fs = svc.get_file_system_client(a.container)
        try:
            fs.create_file_system()
        except ResourceExistsError:
            pass
        client = fs.get_file_client(a.name)
        w0 = time.time()
        t0 = time.perf_counter()
        client.upload_data(data, overwrite=True, max_concurrency=k)
        write_s = time.perf_counter() - t0
        w1 = r0 = time.time()
        t0 = time.perf_counter()
        got = client.download_file(max_concurrency=k).readall()
        read_s = time.perf_counter() - t0
        r1 = time.time()
        ok = got == data
        client.delete_file()
    n = a.bytes
    print(json.dumps({"tool": "sdk", "service": a.service, "bytes": n, "max_concurrency": k,
                      "write_s": round(write_s, 4), "write_MBps": round(n / write_s / 1e6, 1),
                      "read_s": round(read_s, 4), "read_MBps": round(n / read_s / 1e6, 1),
                      "bytes_read": len(got), "verified": ok,
                      "write_t0": w0, "write_t1": w1, "read_t0": r0, "read_t1": r1}), flush=True)
    return 0 if ok else 1


def sas(a):
    z = sdk()
    ResourceExistsError, generate_container_sas, ContainerSasPermissions = (z.ResourceExistsError,
                                                                            z.generate_container_sas,
                                                                            z.ContainerSasPermissions)
    svc = z.BlobServiceClient(a.endpoint, credential=credential())
    try:
        svc.create_container(a.container)
    except ResourceExistsError:
        pass
    now = datetime.datetime.now(datetime.timezone.utc)
    print(generate_container_sas(ACCOUNT, a.container, account_key=KEY,
                                 permission=ContainerSasPermissions(read=True, write=True, create=True, delete=True),
                                 start=now - datetime.timedelta(minutes=5), expiry=now + datetime.timedelta(hours=1)))
    return 0


def sample(a):
    """Every --interval seconds until the server exits or SIGTERM: epoch, the server's CPU ticks (utime + stime),
    the machine's busy ticks and all ticks (/proc/stat), one line each."""
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(a.out, "w") as out:
        out.write("# clk_tck %d cpus %d\n" % (os.sysconf("SC_CLK_TCK"), os.cpu_count()))
        while True:
            try:
                with open("/proc/%d/stat" % a.pid) as f:
                    st = f.read().rsplit(")", 1)[1].split()
                server = int(st[11]) + int(st[12])  # utime, stime (fields 14 and 15)
            except (FileNotFoundError, ProcessLookupError):
                return 0
            with open("/proc/stat") as f:
                cpu = [int(x) for x in f.readline().split()[1:9]]
            total = sum(cpu)
            busy = total - cpu[3] - cpu[4]  # minus idle, iowait
            out.write("%.3f %d %d %d\n" % (time.time(), server, busy, total))
            out.flush()
            time.sleep(a.interval)


def load_samples(path):
    rows, tck = [], 100
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                tck = int(line.split()[2])
                continue
            t, s, b, tot = line.split()
            rows.append((float(t), int(s), int(b), int(tot)))
    return rows, tck


def at(rows, t, col):
    """Linear interpolation of column col at time t."""
    for (t0, *v0), (t1, *v1) in zip(rows, rows[1:]):
        if t0 <= t <= t1:
            f = 0 if t1 == t0 else (t - t0) / (t1 - t0)
            return v0[col] + f * (v1[col] - v0[col])
    return None


def cores(rows, tck, t0, t1, col):
    """CPU in cores over [t0, t1]: server (col 0) or the machine's busy time (col 1)."""
    a, b = at(rows, t0, col), at(rows, t1, col)
    if a is None or b is None or t1 <= t0:
        return float("nan")
    if col == 0:
        return (b - a) / tck / (t1 - t0)
    ta, tb = at(rows, t0, 2), at(rows, t1, 2)
    ncpu = os.cpu_count()
    return (b - a) / (tb - ta) * ncpu if tb > ta else float("nan")


def table(a):
    import statistics
    rows, tck = load_samples(a.samples)
    runs = [json.loads(x) for x in open(a.runs) if x.strip()]
    med = statistics.median
    for r in runs:
        for d in ("write", "read"):
            r[d + "_server"] = cores(rows, tck, r[d + "_t0"], r[d + "_t1"], 0)
            r[d + "_machine"] = cores(rows, tck, r[d + "_t0"], r[d + "_t1"], 1)

    def fmt(x, nd=0):
        return "{:,.{}f}".format(x, nd)

    print("Per run (MB/s = 10^6 bytes/s; server = the storage server's CPU in cores during the transfer, machine = "
          "all CPU busy on the machine, of 2):\n")
    print("| round | tool | service | load avg before | write MB/s | read MB/s | server cores w / r | "
          "machine cores w / r |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print("| %d | %s | %s | %.2f | %s | %s | %.2f / %.2f | %.2f / %.2f |" % (
            r["round"], r["tool"], r["service"], r["load1"], fmt(r["write_MBps"]), fmt(r["read_MBps"]),
            r["write_server"], r["read_server"], r["write_machine"], r["read_machine"]))
    print("\nMedians over rounds; ratio = hqml's median / the SDK's median, and in brackets the per-round ratios "
          "(each round's hqml run against the SDK run beside it):\n")
    print("| service | direction | hqml MB/s | SDK MB/s | hqml / SDK | hqml-stream MB/s | hqml-stream / SDK | "
          "curl MB/s (one request) | server cores: hqml / SDK / hqml-stream / curl |")
    print("|---|---|---|---|---|---|---|---|---|")
    for svc in ("blob", "dfs"):
        for d in ("write", "read"):
            def pick(tool):
                return [r for r in runs if r["tool"] == tool and r["service"] == svc]
            h, s, hs, c = pick("hqml"), pick("sdk"), pick("hqml-stream"), pick("curl")
            if not h or not s:
                continue

            def vals(x):
                return [r[d + "_MBps"] for r in x]

            def span(x):
                v = vals(x)
                return "%s (%s–%s)" % (fmt(med(v)), fmt(min(v)), fmt(max(v))) if v else "–"

            def ratio(x):
                per = []
                for rr in sorted({r["round"] for r in x}):
                    a = [r[d + "_MBps"] for r in x if r["round"] == rr]
                    b = [r[d + "_MBps"] for r in s if r["round"] == rr]
                    if a and b:
                        per.append(a[0] / b[0])
                if not x:
                    return "–"
                return "**%.2f** [%s]" % (med(vals(x)) / med(vals(s)), ", ".join("%.2f" % p for p in per))

            curl = fmt(med(vals(c))) if c else "–"
            srv = " / ".join("%.2f" % med([r[d + "_server"] for r in x]) if x else "–" for x in (h, s, hs, c))
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                svc, d, span(h), span(s), ratio(h), span(hs), ratio(hs), curl, srv))
    bad = [r for r in runs if not r.get("verified", False)]
    print("\nverified: %d of %d runs read back exactly what they wrote" % (len(runs) - len(bad), len(runs)))
    return 1 if bad else 0


def versions(_):
    from importlib.metadata import version
    print(" ".join("%s %s" % (p, version(p)) for p in
                   ("azure-storage-blob", "azure-storage-file-datalake", "azure-core", "requests")))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--endpoint", required=True)
    r.add_argument("--service", choices=("blob", "dfs"), required=True)
    r.add_argument("--container", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--bytes", type=int, default=1 << 30)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--concurrency", type=int, default=4)
    s = sub.add_parser("sas")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--container", required=True)
    sub.add_parser("versions")
    m = sub.add_parser("sample")
    m.add_argument("--pid", type=int, required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--interval", type=float, default=0.05)
    t = sub.add_parser("table")
    t.add_argument("--runs", required=True)
    t.add_argument("--samples", required=True)
    a = p.parse_args()
    return {"run": run, "sas": sas, "versions": versions, "sample": sample, "table": table}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
