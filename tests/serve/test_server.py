#!/usr/bin/env python3
"""hqml serve end to end, checked with clients nobody here wrote: tritonclient (KServe v2 / Open Inference
Protocol), prometheus_client's parser (/metrics), requests (Azure ML scoring), a real redis-server.

Usage: test_server.py HQML WORKDIR CASE   (CASE: protocols, faults, lifecycle, redis)
Prints "ok: CASE" on success; "HQML_TEST_SKIPPED: why" when something it needs is missing.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import requests
import tritonclient.http as httpclient
from prometheus_client.parser import text_string_to_metric_families

HQML, WORK, CASE = sys.argv[1], sys.argv[2], sys.argv[3]


def fail(msg):
    print(f"FAIL ({CASE}): {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args, env=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(WORK, f"server-{self.port}.log"), "w+")
        cmd = [HQML, "serve", *args]
        if "--port" not in args and not (env and "PORT" in env):
            cmd += ["--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log,
                                     env={**os.environ, **(env or {})})
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"server exited {self.proc.returncode}: {self.stderr()[-500:]}")
            try:
                if requests.get(self.url + "/v2/health/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        fail("server not ready in 120 s")

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def score(self, body, **kw):
        return requests.post(self.url + "/score", data=body if isinstance(body, (str, bytes)) else json.dumps(body),
                             headers={"Content-Type": "application/json"}, timeout=60, **kw)

    def metrics(self):
        r = requests.get(self.url + "/metrics", timeout=10)
        check(r.status_code == 200, "/metrics status")
        check(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), "/metrics content type")
        out = {}
        for fam in text_string_to_metric_families(r.text):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return out

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc


def metric(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def run_model(out, data, *extra):
    """hqml run on a CSV: the model folder the server serves."""
    r = subprocess.run([HQML, "run", "--data", data, "--label", "y", "--out", out, "--qubits", "4", "--folds", "3",
                        "--seed", "3", *extra], capture_output=True, text=True, timeout=900)
    check(r.returncode == 0, f"hqml run failed: {r.stderr[-400:]}")
    return os.path.join(out, "model")


def make_data(path, seed, n=120, missing=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = np.where(x[:, 0] * x[:, 1] + 0.3 * x[:, 2] > 0, "pos", "neg")
    with open(path, "w") as f:
        f.write("a,b,c,d,e,y\n")
        for i in range(n):
            cells = [f"{v:.6f}" for v in x[i]]
            if missing and i == 7:
                cells[3] = ""
            f.write(",".join(cells) + f",{y[i]}\n")
    return x, y


def predict_cli(model, rows):
    """The same rows through `hqml predict`: labels and p(class) columns."""
    path = os.path.join(WORK, "predict.csv")
    with open(path, "w") as f:
        f.write("a,b,c,d,e\n")
        for r in rows:
            f.write(",".join(repr(float(v)) for v in r) + "\n")
    out = os.path.join(WORK, "predict_out.csv")
    r = subprocess.run([HQML, "predict", "--model", model, "--data", path, "--out", out],
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"hqml predict failed: {r.stderr[-300:]}")
    lines = open(out).read().splitlines()
    head = lines[0].split(",")
    labels = [ln.split(",")[1] for ln in lines[1:]]
    pcols = {h[2:-1]: i for i, h in enumerate(head) if h.startswith("p(")}
    probs = {c: [float(ln.split(",")[i]) for ln in lines[1:]] for c, i in pcols.items()}
    return labels, probs


os.makedirs(WORK, exist_ok=True)
data = os.path.join(WORK, "train.csv")
x, y = make_data(data, 1)
model = run_model(os.path.join(WORK, "run"), data)
meta = json.load(open(os.path.join(model, "model.json")))
check("classical" in meta and "training_stats" in meta, "hqml run kept no classical model or training statistics")
rows = np.random.default_rng(9).normal(size=(40, 5))

if CASE == "protocols":
    s = Server("--model", model, "--max-delay-us", "20000", "--max-body-mb", "1", "--threads", "24")
    check(requests.get(s.url + "/", timeout=5).text == "Healthy", "GET / is not Healthy")
    # Azure ML scoring: the quantum route gives what `hqml predict` gives, with calibrated probabilities.
    r = s.score({"data": rows.tolist()})
    check(r.status_code == 200, f"/score {r.status_code} {r.text[:200]}")
    a = r.json()
    labels, probs = predict_cli(model, rows)
    check(a["predictions"] == labels, "served predictions differ from hqml predict's")
    classes = meta["class_names"]
    p = np.array(a["probabilities"])
    check(p.shape == (40, len(classes)), f"probabilities shape {p.shape}")
    check(np.allclose(p.sum(axis=1), 1), "probabilities do not sum to 1")
    for j, c in enumerate(classes):
        check(np.allclose(p[:, j], probs[c], rtol=0, atol=1e-9), f"p({c}) differs from hqml predict's")
    check(set(a["served_by"]) == {"quantum"}, f"served_by {set(a['served_by'])}")
    check(a["model_version"] == r.headers["x-hqml-model-version"], "model version header")
    # pandas split orient with the columns in another order: matched by name.
    order = [4, 2, 0, 1, 3]
    split = {"input_data": {"columns": [["a", "b", "c", "d", "e"][i] for i in order], "index": list(range(40)),
                            "data": rows[:, order].tolist()}}
    b = s.score(split).json()
    check(b["predictions"] == a["predictions"], "split orient with reordered columns answers differently")
    check(set(b["served_by"]) == {"cache"}, "the same rows again are not answered from the cache")
    # MLflow's scoring bodies (what Azure ML users send to MLflow models): the same rows, columns matched by name,
    # read to the same doubles (the cache answers every row) and answered exactly alike.
    cols = ["a", "b", "c", "d", "e"]
    records = [{cols[j]: float(rows[i, j]) for j in (3, 1, 4, 0, 2)} for i in range(40)]
    for body in ({"dataframe_split": {"columns": [cols[i] for i in order], "data": rows[:, order].tolist()}},
                 {"dataframe_records": records}, {"instances": rows.tolist()}, {"inputs": rows.tolist()}):
        r = s.score(body)
        check(r.status_code == 200, f"{list(body)[0]}: {r.status_code} {r.text[:200]}")
        m = r.json()
        check(m["predictions"] == a["predictions"] and np.array_equal(np.array(m["probabilities"]), p)
              and set(m["served_by"]) == {"cache"}, f"{list(body)[0]} answers differently from /score's data")
    r = s.score({"dataframe_records": [{c: 1.0 for c in cols[:4]}]})
    check(r.status_code == 400 and r.json()["message"].startswith('dataframe_records[0]: "e" is missing'),
          f"a record without a column: {r.status_code} {r.text[:200]}")
    # KServe v2 through tritonclient, FP64 and FP32.
    c = httpclient.InferenceServerClient(url=f"127.0.0.1:{s.port}")
    check(c.is_server_live() and c.is_server_ready() and c.is_model_ready("hqml"), "v2 health")
    check("binary_tensor_data" in c.get_server_metadata()["extensions"], "v2 server metadata: extensions")
    md = c.get_model_metadata("hqml")
    check(md["inputs"][0]["shape"] == [-1, 5] and md["versions"] == [a["model_version"]], f"v2 metadata {md}")
    for dtype, np_type in (("FP64", np.float64), ("FP32", np.float32)):
        inp = httpclient.InferInput("input", [40, 5], dtype)
        inp.set_data_from_numpy(rows.astype(np_type), binary_data=False)
        outs = [httpclient.InferRequestedOutput(n, binary_data=False) for n in ("predictions", "probabilities")]
        res = c.infer("hqml", [inp], outputs=outs, request_id="req-1")
        check(not any("parameters" in o for o in res.get_response()["outputs"]), "JSON outputs asked, binary sent")
        got = [v.decode() if isinstance(v, bytes) else v for v in res.as_numpy("predictions").tolist()]
        if dtype == "FP64":
            check(got == a["predictions"], "v2 FP64 predictions differ from /score's")
            check(np.allclose(res.as_numpy("probabilities"), p, atol=1e-12), "v2 probabilities differ")
        check(res.get_response()["id"] == "req-1", "v2 id not echoed")
        # The same rows as binary tensor data (set_data_from_numpy's default) and every output asked for in
        # binary (InferRequestedOutput's default): the same answers exactly, and the rows read to the JSON
        # path's doubles exactly (the cache, keyed by the rows' bytes, answers all 40).
        binp = httpclient.InferInput("input", [40, 5], dtype)
        binp.set_data_from_numpy(rows.astype(np_type))
        bouts = [httpclient.InferRequestedOutput(n) for n in ("predictions", "probabilities", "served_by")]
        bres = c.infer("hqml", [binp], outputs=bouts, request_id="req-2")
        check(all(o["parameters"]["binary_data_size"] > 0 for o in bres.get_response()["outputs"]),
              f"{dtype}: binary outputs asked, JSON sent")
        check([v.decode() for v in bres.as_numpy("predictions").tolist()] == got, f"{dtype}: binary predictions")
        check(np.array_equal(bres.as_numpy("probabilities"), res.as_numpy("probabilities")),
              f"{dtype}: binary probabilities differ from JSON's")
        check(bres.as_numpy("probabilities").dtype == np.float64, "binary probabilities are not FP64")
        check([v.decode() for v in bres.as_numpy("served_by").tolist()] == ["cache"] * 40,
              f"{dtype}: binary rows are not the JSON rows' doubles (the cache missed them)")
        check(bres.get_response()["id"] == "req-2", "v2 id not echoed with binary data")
    # tritonclient's defaults with no outputs named ask for every output in binary (binary_data_output).
    res = c.infer("hqml", [binp])
    check([o["name"] for o in res.get_response()["outputs"]] == ["predictions", "probabilities", "served_by"] and
          all("binary_data_size" in o["parameters"] for o in res.get_response()["outputs"]), "v2 default outputs")
    check([v.decode() for v in res.as_numpy("predictions").tolist()] == got and
          np.array_equal(res.as_numpy("probabilities"), bres.as_numpy("probabilities")), "v2 default outputs' values")
    # The wire format by hand: the JSON's length in Inference-Header-Content-Length both ways; what does not add
    # up is refused with a one-line message naming it.
    head = json.dumps({"inputs": [{"name": "input", "shape": [2, 5], "datatype": "FP64",
                                   "parameters": {"binary_data_size": 80}}],
                       "outputs": [{"name": "probabilities", "parameters": {"binary_data": True}},
                                   {"name": "predictions"}]}).encode()
    tensor = rows[:2].astype("<f8").tobytes()
    infer_url = s.url + "/v2/models/hqml/infer"
    r = requests.post(infer_url, data=head + tensor, headers={"Inference-Header-Content-Length": str(len(head))},
                      timeout=30)
    check(r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream",
          f"raw binary request: {r.status_code} {r.headers.get('Content-Type')}")
    n = int(r.headers["Inference-Header-Content-Length"])
    rj = json.loads(r.content[:n])
    check(rj["outputs"][0]["parameters"]["binary_data_size"] == len(r.content) - n == 2 * len(classes) * 8,
          f"raw binary response sizes: {rj}")
    check(np.array_equal(np.frombuffer(r.content[n:], "<f8").reshape(2, -1), p[:2]), "raw binary probabilities")
    check(rj["outputs"][1]["data"] == a["predictions"][:2], "raw binary request: JSON output beside a binary one")
    for header, body, word in ((str(len(head) + 10**6), head + tensor, "Inference-Header-Content-Length: 10"),
                               ("-1", head + tensor, "Inference-Header-Content-Length: \"-1\""),
                               (str(len(head)), head + tensor + b"xy", "body: 2 bytes after the JSON part"),
                               (str(len(head)), head + tensor[:40], "binary_data_size: 80 bytes, but 40"),
                               (None, head + tensor, "no Inference-Header-Content-Length")):
        r = requests.post(infer_url, data=body, timeout=30,
                          headers={"Inference-Header-Content-Length": header} if header else {})
        msg = r.json().get("error", "") if r.headers.get("Content-Type") == "application/json" else r.text
        check(r.status_code == 400 and word in msg and "\n" not in msg,
              f"binary refusal {word!r}: {r.status_code} {msg}")
    try:
        c.infer("nosuch", [inp])
        fail("v2 infer on an unknown model succeeded")
    except Exception as e:  # tritonclient raises InferenceServerException with the server's message
        check("nosuch" in str(e), f"unknown model message: {e}")
    # Bad input: a one-line message, the right status, the server alive afterwards.
    bad = [("{\"data\": [[1,2", 400, "JSON"), ({"data": [[1, 2, 3]]}, 400, "5"), ({"data": [["x", 1, 2, 3, 4]]}, 400,
           "data[0][0]"), ({"data": []}, 400, "empty"), ({"data": [[1, 2, 3, 4, None]]}, 400, "data[0][4]"),
           ("{\"data\": [[NaN, 1, 2, 3, 4]]}", 400, ""), ({"rows": [[1, 2, 3, 4, 5]]}, 400, "")]
    for body, status, word in bad:
        r = s.score(body)
        check(r.status_code == status, f"{str(body)[:40]}: status {r.status_code}, wanted {status}")
        msg = r.json()["message"]
        check("\n" not in msg and word in msg, f"{str(body)[:40]}: message {msg!r}")
    r = s.score(b"{\"data\": [" + b"[1,2,3,4,5]," * 200000 + b"[1,2,3,4,5]]}")
    check(r.status_code == 413, f"a 2.4 MB body: status {r.status_code}")
    # The limit holds for chunked bodies too, and a body sent as curl -d sends it (form-encoded) is still read.
    def chunks():
        for _ in range(40):
            yield b" " * 65536
    r = requests.post(s.url + "/score", data=chunks(), timeout=60)
    check(r.status_code == 413, f"a 2.5 MB chunked body: status {r.status_code}")
    form = requests.post(s.url + "/score", data=json.dumps({"data": rows.tolist()}), timeout=60,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(form.status_code == 200 and len(form.json()["predictions"]) == 40, f"form-encoded JSON: {form.status_code}")
    r = requests.post(s.url + "/score", data=json.dumps({"data": rows[:1].tolist()}), headers={"Range": "bytes=0-,0-"},
                      timeout=10)
    check(r.status_code == 416, f"Range: status {r.status_code}")
    # Values the model's scaling turns infinite are the client's error, not a quantum failure.
    r = s.score({"data": [[1e308] * 5]})
    check(r.status_code == 400 and "row 0" in r.json()["message"], f"1e308: {r.status_code} {r.text[:120]}")
    check(metric(s.metrics(), "hqml_circuit_breaker_state", state="closed") == 1, "1e308 opened the breaker")
    r = requests.post(s.url + "/v2/models/hqml/versions/nosuch/infer", data="{}", timeout=10)
    check(r.status_code == 404 and "nosuch" in r.json()["error"], f"unknown version: {r.status_code}")
    r = requests.get(s.url + "/nosuch", timeout=5)
    check(r.status_code == 404 and "nosuch" in r.json()["message"], "unknown route")
    # Concurrent requests are batched: 16 clients at once, each with its own rows, each answered with its own.
    singles = s.score({"data": rows[:16].tolist()}).json()["predictions"]
    results = [None] * 16
    barrier = threading.Barrier(16)

    def one(i):
        barrier.wait()
        results[i] = s.score({"data": [(rows[i] + 1e-3).tolist()]}).json()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(all(r and r["served_by"] == ["quantum"] for r in results), "concurrent requests not all answered")
    m = s.metrics()
    batches = metric(m, "hqml_batch_requests_count")
    single_req = metric(m, "hqml_batch_requests_bucket", le="1.0")
    check(batches - single_req >= 1, f"no batch held two requests ({batches} batches, {single_req} with one)")
    check(metric(m, "hqml_requests_total", route="/score", status="200", served_by="quantum") >= 3,
          "request counter")
    check(metric(m, "hqml_requests_total", route="/score", status="400", served_by="none") == len(bad) + 2,
          "400 counter")
    check(metric(m, "hqml_requests_total", route="/v2/infer", status="400", served_by="none") == 5, "v2 400 counter")
    check(metric(m, "hqml_model_info", version=a["model_version"], route="quantum") == 1, "model info gauge")
    check(metric(m, "hqml_cache_hits_total") >= 40, "cache hits")
    check(metric(m, "hqml_training_feature_mean", feature="a") != 0, "training mean gauge")
    check(("hqml_input_feature_drift", (("feature", "a"),)) in m, "drift gauge missing")
    check(metric(m, "hqml_request_duration_seconds_count", route="/score") >= 20, "latency histogram")
    logs = [json.loads(ln) for ln in s.stderr().splitlines() if ln.startswith("{")]
    check(any(ln.get("route") == "/score" and ln.get("status") == 200 for ln in logs), "no request log line")
    check(not any("payload" in ln for ln in logs), "payload logged without --log-payloads")
    check(s.stop() == 0, "SIGTERM did not exit 0")

    # Routing: ensemble:W averages the two models' calibrated probabilities exactly.
    q = Server("--model", model, "--route", "quantum", "--cache", "none")
    cl = Server("--model", model, "--route", "classical", "--cache", "none")
    en = Server("--model", model, "--route", "ensemble:0.25", "--cache", "none")
    co = Server("--model", model, "--route", "confidence:0.5", "--cache", "none")
    pq = np.array(q.score({"data": rows.tolist()}).json()["probabilities"])
    rc = cl.score({"data": rows.tolist()}).json()
    check(set(rc["served_by"]) == {"classical"}, "classical route")
    pc = np.array(rc["probabilities"])
    re_ = en.score({"data": rows.tolist()}).json()
    check(np.allclose(np.array(re_["probabilities"]), 0.25 * pq + 0.75 * pc, atol=1e-12), "ensemble average")
    check([classes[i] for i in (0.25 * pq + 0.75 * pc).argmax(axis=1)] == re_["predictions"], "ensemble argmax")
    rco = co.score({"data": rows.tolist()}).json()
    srt = np.sort(pc, axis=1)
    unsure = (srt[:, -1] - srt[:, -2]) < 0.5
    check([w == "quantum" for w in rco["served_by"]] == unsure.tolist(), "confidence route sent the wrong rows")
    pco = np.array(rco["probabilities"])
    check(np.allclose(pco[unsure], pq[unsure], atol=1e-12) and np.allclose(pco[~unsure], pc[~unsure], atol=1e-12),
          "confidence route probabilities")
    for srv in (q, cl, en, co):
        check(srv.stop() == 0, "SIGTERM exit code")

elif CASE == "faults":
    flag = os.path.join(WORK, "fault-on")
    open(flag, "w").close()
    s = Server("--model", model, "--inject-fault", "error", "--inject-fault-file", flag, "--breaker-failures", "3",
               "--breaker-open-ms", "400", "--cache", "none", "--max-delay-us", "0")
    for i in range(6):
        r = s.score({"data": rows[i:i + 2].tolist()})
        check(r.status_code == 200 and r.json()["served_by"] == ["classical"] * 2, f"fallback {i}: {r.text[:200]}")
    m = s.metrics()
    check(metric(m, "hqml_quantum_failures_total", reason="error") == 3, "failures before the breaker opened")
    check(metric(m, "hqml_quantum_failures_total", reason="breaker_open") == 3, "breaker did not short-circuit")
    check(metric(m, "hqml_circuit_breaker_state", state="open") == 1, "breaker not open")
    check(metric(m, "hqml_fallback_rows_total") == 12, "fallback rows")
    os.remove(flag)
    time.sleep(0.5)
    r = s.score({"data": rows[:2].tolist()}).json()
    check(r["served_by"] == ["quantum"] * 2, "the probe after the open period was not served by the quantum model")
    check(metric(s.metrics(), "hqml_circuit_breaker_state", state="closed") == 1, "breaker did not close")
    check(s.stop() == 0, "SIGTERM exit code")
    # NaN from the quantum path and a path over its budget both fall back.
    s = Server("--model", model, "--inject-fault", "nan", "--cache", "none")
    check(s.score({"data": rows[:3].tolist()}).json()["served_by"] == ["classical"] * 3, "NaN fallback")
    check(metric(s.metrics(), "hqml_quantum_failures_total", reason="nan") == 1, "NaN not counted")
    s.stop()
    s = Server("--model", model, "--inject-fault", "slow:1500", "--quantum-budget-ms", "100", "--cache", "none")
    t0 = time.time()
    r = s.score({"data": rows[:3].tolist()}).json()
    took = time.time() - t0
    check(r["served_by"] == ["classical"] * 3 and took < 1.2, f"budget fallback: {r['served_by']} in {took:.2f} s")
    check(metric(s.metrics(), "hqml_quantum_failures_total", reason="budget") == 1, "budget not counted")
    s.stop()
    # A model without a classical one has nothing to fall back on: 503 with the reason.
    bare = os.path.join(WORK, "bare")
    r = subprocess.run([HQML, "train", "--train", data, "--label", "y", "--out", bare, "--qubits", "4"],
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"hqml train: {r.stderr[-300:]}")
    s = Server("--model", bare, "--inject-fault", "error", "--cache", "none")
    r = s.score({"data": rows[:1].tolist()})
    check(r.status_code == 503 and "classical" in r.json()["message"], f"no-fallback answer {r.status_code}")
    s.stop()
    r = subprocess.run([HQML, "serve", "--model", bare, "--route", "classical"], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 2 and "classical" in r.stderr and r.stderr.count("\n") == 1, f"route check: {r.stderr}")

elif CASE == "lifecycle":
    # Azure ML's environment: the model under AZUREML_MODEL_DIR, the port from PORT.
    root = os.path.join(WORK, "aml")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(os.path.join(WORK, "run"), os.path.join(root, "mymodel"))
    port = free_port()
    s = Server(env={"AZUREML_MODEL_DIR": root, "PORT": str(port)}, port=port)
    v1 = s.score({"data": rows[:4].tolist()}).json()["model_version"]
    # A new model written into the folder (as a deployment would) and SIGHUP: the next answers carry its version;
    # requests in flight during the swap are all answered.
    data2 = os.path.join(WORK, "train2.csv")
    make_data(data2, 2)
    model2 = run_model(os.path.join(WORK, "run2"), data2)
    stop = threading.Event()
    statuses = []

    def load():
        while not stop.is_set():
            statuses.append(s.score({"data": rows[:8].tolist()}).status_code)

    t = threading.Thread(target=load)
    t.start()
    target = os.path.join(root, "mymodel", "model")
    tmp = target + ".new"
    shutil.copytree(model2, tmp)
    os.rename(target, target + ".old")
    os.rename(tmp, target)
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 30
    v2 = v1
    while time.time() < deadline and v2 == v1:
        v2 = s.score({"data": rows[:4].tolist()}).json()["model_version"]
        time.sleep(0.1)
    stop.set()
    t.join()
    check(v2 != v1, "the model version did not change after SIGHUP")
    check(statuses and all(c == 200 for c in statuses), f"requests during the reload: {set(statuses)}")
    check(metric(s.metrics(), "hqml_model_reloads_total", result="ok") >= 1, "reload not counted")
    # A broken model.json written in place: the reload fails, the model in use keeps answering.
    with open(os.path.join(target, "model.json"), "w") as f:
        f.write("{ broken")
    s.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    r = s.score({"data": rows[:4].tolist()})
    check(r.status_code == 200 and r.json()["model_version"] == v2, "a broken reload replaced the model")
    check(metric(s.metrics(), "hqml_model_reloads_total", result="failed") >= 1, "failed reload not counted")
    # A folder copied file by file (model.json first, as cp does): the first poll fails on the arrays, a later
    # one loads the whole model.
    src = os.path.join(WORK, "run", "model")
    shutil.copy(os.path.join(src, "model.json"), os.path.join(target, "model.json"))
    time.sleep(3)
    for f in sorted(os.listdir(src)):
        shutil.copy(os.path.join(src, f), os.path.join(target, f))
    deadline = time.time() + 30
    v3 = v2
    while time.time() < deadline and v3 != v1:
        v3 = s.score({"data": rows[:4].tolist()}).json()["model_version"]
        time.sleep(0.2)
    check(v3 == v1, "a folder completed after a failed reload was not loaded")
    check(s.stop(signal.SIGINT) == 0, "SIGINT did not exit 0")
    s = Server("--model", model, "--read-timeout-s", "1", "--body-timeout-s", "2")
    # A second server on the port in use fails to bind (no SO_REUSEPORT: it would take half the connections):
    # one line, exit 1, and the first answers on, every request.
    r = subprocess.run([HQML, "serve", "--model", model, "--port", str(s.port)], capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 1 and r.stderr.startswith(f"hqml serve: cannot listen on 127.0.0.1:{s.port}: ") and
          "in use" in r.stderr and r.stderr.count("\n") == 1,
          f"a second server on the port: {r.returncode} {r.stderr!r}")
    check(all(s.score({"data": rows[:1].tolist()}).status_code == 200 for _ in range(8)), "the first server after it")
    # Slow clients: a body that stops arriving gets 408, headers that stop get 400; both within the read timeout,
    # and the server answers others meanwhile and afterwards.
    for head, status in ((b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"data\":", 408),
                         (b"POST /score HTTP/1.1\r\nHost: x\r\n", 400)):
        c = socket.create_connection(("127.0.0.1", s.port))
        c.sendall(head)
        c.settimeout(10)
        t0 = time.time()
        check(s.score({"data": rows[:2].tolist()}).status_code == 200, "a slow client blocked another request")
        reply = b""
        while chunk := c.recv(4096):  # the server closes the connection after its answer
            reply += chunk
        reply = reply.decode()
        c.close()
        check(reply.startswith(f"HTTP/1.1 {status} ") and time.time() - t0 < 5, f"slow client: {reply[:80]!r}")
        check("read-timeout-s" in reply, f"slow client message: {reply!r}")
    # A body trickled a byte every 0.25 s, each read within --read-timeout-s: 408 once --body-timeout-s has passed.
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    t0 = time.time()
    reply = b""
    try:
        while time.time() - t0 < 10:
            c.sendall(b" ")
            c.settimeout(0.25)
            try:
                reply += c.recv(4096)  # the answer: stop sending, read the rest
                break
            except socket.timeout:
                pass
        c.settimeout(5)
        while chunk := c.recv(4096):
            reply += chunk
    except OSError:  # the server closed; what it answered has been read
        pass
    took = time.time() - t0
    c.close()
    reply = reply.decode()
    check(reply.startswith("HTTP/1.1 408 ") and "--body-timeout-s (2 s)" in reply and 1.9 < took < 5,
          f"a trickling client after {took:.1f} s: {reply[:300]!r}")
    check(s.score({"data": rows[:2].tolist()}).status_code == 200, "the server after a trickling client")
    check(metric(s.metrics(), "hqml_requests_total", route="/score", status="408", served_by="none") == 2,
          "408 counter")
    check(s.stop() == 0, "SIGTERM exit code")
    r = subprocess.run([HQML, "serve", "--help"], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "--body-timeout-s" in r.stdout, "--help does not document --body-timeout-s")
    # Bad command lines exit 2 with one line before anything is served.
    for args, word in ((["--model", os.path.join(WORK, "nosuch")], "nosuch"), (["--model", model, "--route", "x"],
                       "--route"), (["--model", model, "--cache", "redis://h:0"], "port"),
                       (["--model", model, "--inject-fault", "slow:x"], "slow"), (["--model", model, "--name", "a/b"],
                       "--name"), (["--model", model, "--classical", WORK], "model.json")):
        r = subprocess.run([HQML, "serve", *args], capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and word in r.stderr and r.stderr.count("\n") == 1, f"{args}: {r.stderr!r}")

elif CASE == "redis":
    redis = shutil.which("redis-server")
    if not redis:
        print("HQML_TEST_SKIPPED: redis-server is not installed")
        sys.exit(0)
    rport = free_port()
    rd = subprocess.Popen([redis, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", rport), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    url = f"redis://127.0.0.1:{rport}"
    a = Server("--model", model, "--cache", url)
    b = Server("--model", model, "--cache", url)
    ra = a.score({"data": rows.tolist()}).json()
    check(set(ra["served_by"]) == {"quantum"}, "first answer not from the model")
    rb = b.score({"data": rows.tolist()}).json()  # another replica: the shared cache answers
    check(set(rb["served_by"]) == {"cache"} and rb["predictions"] == ra["predictions"], "shared cache miss")
    # Redis killed mid-load: every request is still answered, the errors are counted.
    stop = threading.Event()
    statuses = []

    def load(i):
        k = 0
        while not stop.is_set():
            k += 1
            statuses.append(b.score({"data": (rows[:4] + 1e-6 * (k + 1000 * i)).tolist()}).status_code)

    ts = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    time.sleep(1)
    rd.kill()
    rd.wait()
    time.sleep(2)
    stop.set()
    for t in ts:
        t.join()
    check(len(statuses) > 10 and all(c == 200 for c in statuses), f"requests while Redis died: {set(statuses)}")
    check(metric(b.metrics(), "hqml_shared_cache_errors") > 0, "Redis errors not counted")
    check(a.stop() == 0 and b.stop() == 0, "SIGTERM exit code")
else:
    fail("unknown case")
print(f"ok: {CASE}")
