"""Helpers of benchmarks/serve.sh (hqml serve against Azure ML's inference server with serve_peer_score.py).

  serve_setup.py bodies --csv CSV --out DIR [--skip COL] [--label COL]
      Writes DIR/body1.txt and DIR/body64.txt (one and 64 distinct rows of the CSV's features) in the format of
      serve_wrk.lua (line 1: each row's first feature; line 2: the JSON body with "@" in their places) and
      DIR/check.json (every row, {"data": [...]}).
  serve_setup.py check --rows check.json --hqml URL --peer URL [--count 300] [--tol 1e-9]
      POSTs the first --count rows to both servers' /score, in requests of 1, 7 and 64 rows, and exits 1 unless
      every prediction is equal and every probability agrees within --tol. Prints one summary line.
  serve_setup.py table --runs runs.tsv
      The markdown tables of serve.sh from its runs (medians over repetitions), and the ratios hqml / peer.
      runs.tsv: server, route, cache, rows, connections, round, load average, wrk JSON file (serve_wrk.lua's
      done()), and the CPU in cores over the run: the machine's, the server's, wrk's, the rest.
"""
import argparse
import csv
import json
import statistics
import sys
import urllib.request


def fmt_value(v):
    return repr(float(v))


def write_body(path, rows):
    bases = [fmt_value(r[0]) for r in rows]
    body = '{"data": [' + ", ".join("[@, " + ", ".join(fmt_value(v) for v in r[1:]) + "]" for r in rows) + "]}"
    with open(path, "w") as f:
        f.write(" ".join(bases) + "\n" + body + "\n")


def bodies(args):
    with open(args.csv, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        keep = [i for i, name in enumerate(header) if name not in (args.skip, args.label)]
        rows = [[float(r[i]) for i in keep] for r in reader]
    if len(rows) < 64:
        sys.exit(f"serve_setup.py: {args.csv} has {len(rows)} rows; 64 are needed")
    write_body(f"{args.out}/body1.txt", rows[:1])
    write_body(f"{args.out}/body64.txt", rows[:64])
    with open(f"{args.out}/check.json", "w") as f:
        json.dump({"data": rows}, f)
    print(f"{len(rows)} rows of {len(keep)} features")


def post(url, rows):
    req = urllib.request.Request(url, data=json.dumps({"data": rows}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def check(args):
    with open(args.rows) as f:
        rows = json.load(f)["data"][: args.count]
    sizes = [1, 7, 64]
    start, i, worst, mismatches = 0, 0, 0.0, []
    while start < len(rows):
        part = rows[start : start + sizes[i % len(sizes)]]
        a, b = post(args.hqml, part), post(args.peer, part)
        for j, (pa, pb) in enumerate(zip(a["predictions"], b["predictions"])):
            if pa != pb:
                mismatches.append(f"row {start + j}: hqml {pa}, peer {pb}")
        if len(a["predictions"]) != len(part) or len(b["predictions"]) != len(part):
            sys.exit(f"serve_setup.py check: {len(part)} rows sent from row {start}, hqml answered "
                     f"{len(a['predictions'])}, the peer {len(b['predictions'])}")
        for qa, qb in zip(a["probabilities"], b["probabilities"]):
            worst = max(worst, max(abs(x - y) for x, y in zip(qa, qb)))
        start += len(part)
        i += 1
    print(f"check: {len(rows)} rows in {i} requests of {'/'.join(map(str, sizes))} rows: "
          f"{len(rows) - len(mismatches)} equal predictions, max |p_hqml - p_peer| = {worst:.2e}")
    if mismatches or not worst <= args.tol:
        for m in mismatches[:10]:
            print("  " + m)
        sys.exit(f"serve_setup.py check: the peer does not serve hqml's model ({len(mismatches)} different "
                 f"predictions, max probability difference {worst:.3e}, tolerance {args.tol})")


def table(args):
    with open(args.runs) as f:
        runs = [dict(zip(["server", "route", "cache", "rows", "conns", "rep", "load", "file", "cpu"], line.split("\t")))
                for line in f.read().splitlines() if line]
    groups = {}
    for r in runs:
        with open(r["file"].strip()) as f:
            w = json.load(f)
        errors = sum(w["errors"].values())
        rate = w["requests"] / w["seconds"]
        key = (r["server"], r["route"], r["cache"], int(r["rows"]), int(r["conns"]))
        groups.setdefault(key, []).append(
            {"rps": rate, "rows": rate * int(r["rows"]), "p50": w["latency_us"]["p50"] / 1e3,
             "p99": w["latency_us"]["p99"] / 1e3, "errors": errors, "load": float(r["load"].split()[0]),
             "cpu": [float(v) for v in r["cpu"].split()]})

    def med(key, field):
        return statistics.median(x[field] for x in groups[key])

    def ms(v):
        return f"{v:.2f}" if v < 10 else f"{v:.0f}" if v >= 100 else f"{v:.1f}"

    def num(v):
        return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"

    print("| server | route | cache | rows/request | connections | requests/s | rows/s | p50 ms | p99 ms "
          "| runs | load avg (1 min) before each | CPU cores: server, wrk, others (median) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k[0] != "hqml", k[1], k[2], k[3], k[4])):
        g = groups[key]
        server, route, cache, nrows, conns = key
        loads = ", ".join(f"{x['load']:.2f}" for x in g)
        cpu = ", ".join(f"{statistics.median(x['cpu'][i] for x in g):.2f}" for i in (1, 2, 3))
        print(f"| {server} | {route} | {cache} | {nrows} | {conns} | {num(med(key, 'rps'))} | {num(med(key, 'rows'))} "
              f"| {ms(med(key, 'p50'))} | {ms(med(key, 'p99'))} | {len(g)} | {loads} | {cpu} |")
    print()
    print("hqml / peer (medians; p99 ratio below 1 means hqml's p99 is lower):")
    print()
    print("| hqml route | cache | rows/request | connections | throughput hqml / peer | p99 hqml / peer |")
    print("|---|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k[1], k[2], k[3], k[4])):
        server, route, cache, nrows, conns = key
        peer = ("peer", "quantum", "none", nrows, conns)
        if server != "hqml" or peer not in groups:
            continue
        ratio = med(key, "rps") / med(peer, "rps")
        shown = f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2f}"
        print(f"| {route} | {cache} | {nrows} | {conns} | {shown}× | {med(key, 'p99') / med(peer, 'p99'):.3f} |")
    bad = [k for k, g in groups.items() if any(x["errors"] for x in g)]
    if bad:
        sys.exit(f"serve_setup.py table: wrk counted errors (socket errors, non-2xx or timeouts) in {bad}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bodies")
    b.add_argument("--csv", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--skip", default="id")
    b.add_argument("--label", default="diagnosis")
    c = sub.add_parser("check")
    c.add_argument("--rows", required=True)
    c.add_argument("--hqml", required=True)
    c.add_argument("--peer", required=True)
    c.add_argument("--count", type=int, default=300)
    c.add_argument("--tol", type=float, default=1e-9)
    t = sub.add_parser("table")
    t.add_argument("--runs", required=True)
    args = p.parse_args()
    {"bodies": bodies, "check": check, "table": table}[args.cmd](args)


if __name__ == "__main__":
    main()
