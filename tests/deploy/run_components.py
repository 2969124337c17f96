#!/usr/bin/env python3
"""Runs the Azure ML pipelines of deploy/azureml/ here, without Azure: each node's component `command:` with its
inputs and outputs substituted as Azure ML substitutes them, run by the real hqml program on small data, each
node's outputs handed to the nodes wired to them.

What Azure ML does with a component's command, and what this runner does the same way:
  - ${{inputs.NAME}} becomes the input's value: a data input (uri_file, uri_folder, custom_model) the local
    path where the job sees it, a literal input (string, integer, number) its value as written; an input the
    node does not set takes the component's default;
  - ${{outputs.NAME}} becomes the local folder of the output (an existing, empty folder);
  - $[[ ... ]] (text around optional inputs) is kept, without the brackets, when every input it names has a
    value (given, or the component's default), and left out whole when one of them has none;
  - the command runs in a shell (so `&&` chains commands), in the component's code folder when it has one.
In a pipeline, ${{parent.inputs.NAME}} is the pipeline's input, ${{parent.jobs.NODE.outputs.NAME}} another
node's output and ${{parent.outputs.NAME}} a pipeline output. A sweep node runs its trial component once per
sampled point, the point's values given as the trial's inputs of the same names (three points here), and hands
on the outputs of the trial with the best objective (the metric the trial printed through log_metrics.py).

Checks, besides every command exiting 0: the documented example of optional inputs (Azure's
azureml-examples, cli/assets/component) gives the command lines the documentation shows; a reference to an
input that has no value outside $[[ ]] is refused, as is a ${{...}} left unsubstituted; each stage writes what
its component says it writes; the evaluation's accuracy is a real one.

Usage: run_components.py HQML DEPLOY_DIR DATA_CSV WORK_DIR
  DATA_CSV: breast_cancer.csv of tests/realdata/make_datasets.py (label column "diagnosis"), split here into
  train / validation / test files by row number. Where it is absent (its environment could not be made), the
  run reports itself skipped (HQML_TEST_SKIPPED).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

REF = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.S)
PARENT = re.compile(r"^\$\{\{\s*parent\.(inputs|outputs)\.([A-Za-z_]\w*)\s*\}\}$")
PARENT_JOB = re.compile(r"^\$\{\{\s*parent\.jobs\.([A-Za-z_]\w*)\.outputs\.([A-Za-z_]\w*)\s*\}\}$")
DATA_TYPES = {"uri_file", "uri_folder", "custom_model", "mlflow_model", "mltable"}


class CommandError(Exception):
    pass


def literal(value):
    """A literal input's text in the command: as YAML wrote it (1.0 stays 1.0, 4 stays 4)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def resolve_values(component, given):
    """The value of each input: the one given, else the component's default; absent: no value."""
    values = {}
    for name, spec in (component.get("inputs") or {}).items():
        if name in given and given[name] is not None:
            values[name] = given[name]
        elif isinstance(spec, dict) and "default" in spec:
            values[name] = spec["default"]
    unknown = set(given) - set(component.get("inputs") or {})
    if unknown:
        raise CommandError(f"inputs {sorted(unknown)} are not inputs of component {component.get('name')}")
    return values


def substitute(component, given, outputs):
    """The command Azure ML runs for `component` with inputs `given` (name -> value) and output folders."""
    command = component["command"]
    inputs = component.get("inputs") or {}
    values = resolve_values(component, given)
    for name, spec in inputs.items():
        optional = isinstance(spec, dict) and spec.get("optional", False)
        if not optional and name not in values:
            raise CommandError(f"required input {name!r} of {component.get('name')} has no value")

    def keep_block(m):
        names = [n for kind, n in REF.findall(m.group(1)) if kind == "inputs"]
        if not names:
            raise CommandError(f"$[[{m.group(1)}]] names no input: Azure ML keys it on optional inputs")
        return m.group(1) if all(n in values for n in names) else ""

    text = OPTIONAL_BLOCK.sub(keep_block, command)
    if "$[[" in text or "]]" in text:
        raise CommandError(f"unbalanced $[[ ]] in {component.get('name')}'s command")

    def value_of(m):
        kind, name = m.groups()
        if kind == "outputs":
            if name not in outputs:
                raise CommandError(f"${{{{outputs.{name}}}}}: {component.get('name')} has no such output")
            return str(outputs[name])
        if name not in inputs:
            raise CommandError(f"${{{{inputs.{name}}}}}: {component.get('name')} has no such input")
        if name not in values:
            raise CommandError(f"${{{{inputs.{name}}}}} has no value and is outside $[[ ]]")
        return literal(values[name])

    text = REF.sub(value_of, text)
    if "${{" in text:
        raise CommandError(f"an expression was left unsubstituted: {text}")
    return text


def self_test():
    """The optional-input example of Azure ML's documentation gives the command lines it shows."""
    component = {
        "name": "doc_example",
        "inputs": {
            "training_data": {"type": "uri_folder"},
            "max_epocs": {"type": "integer", "optional": True},
            "learning_rate": {"type": "number", "default": 0.01, "optional": True},
            "learning_rate_schedule": {"type": "string", "default": "time-based", "optional": True},
        },
        "outputs": {"model_output": {"type": "uri_folder"}},
        "command": ("python train.py --training_data ${{inputs.training_data}} $[[--max_epocs ${{inputs.max_epocs}}]] "
                    "$[[--learning_rate ${{inputs.learning_rate}}]] "
                    "$[[--learning_rate_schedule ${{inputs.learning_rate_schedule}}]] "
                    "--model_output ${{outputs.model_output}}"),
    }
    out = {"model_output": "some_output_path"}
    words = lambda s: " ".join(s.split())  # the shell splits the same words either way
    got = words(substitute(component, {"training_data": "some_input_path"}, out))
    want = ("python train.py --training_data some_input_path --learning_rate 0.01 --learning_rate_schedule "
            "time-based --model_output some_output_path")
    assert got == want, f"optional inputs left out: {got!r}, documented {want!r}"
    got = words(substitute(component, {"training_data": "some_input_path", "max_epocs": 10}, out))
    want = ("python train.py --training_data some_input_path --max_epocs 10 --learning_rate 0.01 "
            "--learning_rate_schedule time-based --model_output some_output_path")
    assert got == want, f"all inputs given: {got!r}, documented {want!r}"
    broken = dict(component, command="python train.py --max_epocs ${{inputs.max_epocs}}")
    try:
        substitute(broken, {"training_data": "x"}, out)
        raise AssertionError("an optional input without a value outside $[[ ]] was substituted")
    except CommandError:
        pass
    for cmd in ("python train.py ${{inputs.nope}}", "python train.py ${{outputs.nope}}"):
        try:
            substitute(dict(component, command=cmd), {"training_data": "x"}, out)
            raise AssertionError(f"an unknown reference was substituted: {cmd}")
        except CommandError:
            pass
    print("run_components: substitution matches Azure ML's documented optional-input example")


def split_csv(data, work):
    """breast_cancer.csv in three files by row number: test every 4th row, validation every 4th from the
    second, the rest training (both classes reach every file)."""
    lines = pathlib.Path(data).read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    parts = {"train": [], "validation": [], "test": []}
    for i, row in enumerate(rows):
        parts["test" if i % 4 == 0 else "validation" if i % 4 == 1 else "train"].append(row)
    files = {}
    for name, part in parts.items():
        files[name] = work / f"{name}.csv"
        files[name].write_text(header + "".join(part), encoding="utf-8")
    return files, {k: len(v) for k, v in parts.items()}


class Runner:
    def __init__(self, hqml, deploy, work):
        self.deploy = deploy
        self.work = work
        # The components call `hqml` and `python3` by name, as in the image: this run's program and Python.
        self.bin = work / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        for name, target in (("hqml", hqml), ("python3", sys.executable)):
            link = self.bin / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(pathlib.Path(target).resolve())
        self.env = dict(os.environ, PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                        MLFLOW_TRACKING_URI=(work / "mlruns").as_uri())

    def run_component(self, path, given, outputs, label):
        component = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, folder in outputs.items():
            folder.mkdir(parents=True, exist_ok=False)  # Azure ML hands each output as an empty folder
        command = substitute(component, given, outputs)
        cwd = path.parent / component["code"] if component.get("code") else self.work / "cwd"
        cwd.mkdir(parents=True, exist_ok=True)
        print(f"run_components: {label}: {' '.join(command.split())}", flush=True)
        r = subprocess.run(["bash", "-c", command], cwd=cwd, env=self.env, capture_output=True, text=True,
                           timeout=900)
        for line in (r.stdout + r.stderr).splitlines():
            print(f"  | {line}")
        if r.returncode != 0:
            raise SystemExit(f"run_components: FAIL: {label}: exit {r.returncode}")
        return command, r.stdout + r.stderr

    def run_pipeline(self, yml, data_files, overrides=None, sweep_points=3):
        job = yaml.safe_load((self.deploy / yml).read_text(encoding="utf-8"))
        root = self.work / pathlib.Path(yml).stem
        pipeline_inputs = {}
        for name, spec in (job.get("inputs") or {}).items():
            if isinstance(spec, dict) and spec.get("type") in DATA_TYPES:
                # The datastore's file, here: raw_train -> train.csv, raw_validation -> validation.csv, ...
                pipeline_inputs[name] = str(data_files[name.removeprefix("raw_")])
            else:
                pipeline_inputs[name] = spec["default"] if isinstance(spec, dict) else spec
        # As `az ml job create --set inputs.NAME=VALUE`.
        pipeline_inputs.update(overrides or {})
        pipeline_outputs = {name: root / "outputs" / name for name in (job.get("outputs") or {})}
        node_outputs = {}
        logs = {}

        def bind(value):
            if not isinstance(value, str):
                return value
            m = PARENT.match(value)
            if m and m.group(1) == "inputs":
                return pipeline_inputs[m.group(2)]
            m = PARENT_JOB.match(value)
            if m:
                node, out = m.groups()
                if node not in node_outputs:
                    raise SystemExit(f"run_components: FAIL: {yml}: {value} before node {node} ran (jobs run in "
                                     "file order here; Azure ML orders them by these bindings)")
                return str(node_outputs[node][out])
            if "${{" in value:
                raise SystemExit(f"run_components: FAIL: {yml}: binding {value} not understood")
            return value

        for node_name, node in job["jobs"].items():
            kind = node.get("type", "command")
            component_path = self.deploy / (node["component"] if kind == "command" else node["trial"])
            component = yaml.safe_load(component_path.read_text(encoding="utf-8"))
            given = {k: bind(v) for k, v in (node.get("inputs") or {}).items()}
            bound = {}
            for out in component.get("outputs") or {}:
                target = (node.get("outputs") or {}).get(out)
                m = PARENT.match(target) if isinstance(target, str) else None
                bound[out] = pipeline_outputs[m.group(2)] if m else root / "jobs" / node_name / out
            if kind == "command":
                logs[node_name] = self.run_component(component_path, given, bound, f"{yml} {node_name}")
                node_outputs[node_name] = bound
            elif kind == "sweep":
                # Trials at sampled points, each in its own folders; the sweep node's outputs are the best
                # trial's (by the objective the trial logged), as Azure ML hands them on.
                space = node["search_space"]
                metric = node["objective"]["primary_metric"]
                best = None
                for t in range(sweep_points):
                    point = {}
                    for name, s in space.items():
                        if s["type"] == "choice":
                            point[name] = s["values"][(2 * t + 1) % len(s["values"])]
                        elif s["type"] in ("uniform", "quniform", "loguniform"):
                            lo, hi = s["min_value"], s["max_value"]
                            point[name] = round(lo + (hi - lo) * (t + 0.5) / sweep_points, 6)
                        else:
                            raise SystemExit(f"run_components: FAIL: search space type {s['type']} not handled")
                    trial_out = {o: root / "jobs" / node_name / f"trial{t}" / o for o in bound}
                    command, log = self.run_component(component_path, {**given, **point}, trial_out,
                                                      f"{yml} {node_name} trial {t} {point}")
                    logs[f"{node_name}.trial{t}"] = (command, log)
                    m = re.search(r'"' + re.escape(metric) + r'": ([0-9.eE+-]+)', log)
                    if not m:
                        raise SystemExit(f"run_components: FAIL: sweep trial {t} logged no {metric}")
                    if best is None or float(m.group(1)) > best[0]:
                        best = (float(m.group(1)), t, trial_out)
                print(f"run_components: {yml} {node_name}: best trial {best[1]}, {metric} {best[0]:.4f}")
                for o, folder in bound.items():
                    shutil.copytree(best[2][o], folder)
                node_outputs[node_name] = bound
            else:
                raise SystemExit(f"run_components: FAIL: node type {kind} not handled")
        return root, node_outputs, logs


def expect(ok, message):
    if not ok:
        raise SystemExit(f"run_components: FAIL: {message}")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: run_components.py HQML DEPLOY_DIR DATA_CSV WORK_DIR")
    hqml, deploy, data, work = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3], pathlib.Path(sys.argv[4])
    self_test()
    if not os.path.isfile(data):
        print(f"HQML_TEST_SKIPPED: {data} was not made (scikit-learn's environment could not be made)")
        return 0
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    files, counts = split_csv(data, work)
    print(f"run_components: rows: {counts}")
    runner = Runner(hqml, deploy / "azureml", work)

    # No GPU here: quantum_features on the CPU, as `--set inputs.kernel_device=cpu` would run it.
    root, out, logs = runner.run_pipeline("pipeline.yml", files, {"kernel_device": "cpu"})
    expect("--test " in logs["data_prep"][0], "data_prep's $[[--test ...]] was left out although raw_test is set")
    expect("--drop 'id'" in logs["data_prep"][0], "data_prep's $[[--drop ...]] was left out although drop is set")
    expect("--gram " in logs["model_training"][0], "model_training's $[[--gram ...]] was left out")
    expect("hqml predict" not in logs["model_training"][0],
           "model_training's validation block was kept although validation is not set")
    prepared = out["data_prep"]["prepared"]
    for f in ("transform/model.json", "train.csv", "test.csv", "prep.json"):
        expect((prepared / f).is_file(), f"data_prep wrote no {f}")
    manifest = json.loads((prepared / "prep.json").read_text())
    expect(manifest["train"]["source"]["rows"] == counts["train"], f"prep.json: {manifest['train']}")
    expect(manifest["raw_features"] == 30, f"prep.json: {manifest['raw_features']} raw features, expected 30 (no id)")
    expect(manifest["qubits"] == 4 and manifest["preprocessing"]["steps"] == ["standardize", "pca", "min_max"],
           f"prep.json: {manifest['qubits']} qubits, steps {manifest['preprocessing']['steps']}")
    header = (prepared / "train.csv").read_text().splitlines()[0]
    expect(header == "x0,x1,x2,x3,diagnosis", f"train.csv header {header!r}")
    gram = out["quantum_features"]["kernels"] / "train.npy"
    expect(gram.is_file() and gram.stat().st_size > 8 * counts["train"] ** 2, f"{gram} missing or short")
    model = out["model_training"]["model"]
    expect(json.loads((model / "model.json").read_text())["kind"] == "hqml-quantum-kernel-svc", "model kind")
    evaluation = out["evaluate"]["evaluation"]
    metrics = json.loads((evaluation / "metrics.json").read_text())
    expect(metrics["rows"] == counts["test"], f"evaluate scored {metrics['rows']} rows, the test file has "
                                               f"{counts['test']}")
    predictions = (evaluation / "predictions.csv").read_text().splitlines()
    expect(len(predictions) == counts["test"] + 1, "predictions.csv rows")
    # Breast cancer on 4 PCA angles: far above the majority class (0.63).
    expect(metrics["accuracy"] >= 0.9, f"test accuracy {metrics['accuracy']}")
    expect("test_accuracy" in logs["evaluate"][1], "evaluate logged no test_accuracy")
    print(f"run_components: pipeline.yml: test accuracy {metrics['accuracy']:.4f} on {metrics['rows']} rows")

    root, out, logs = runner.run_pipeline("sweep.yml", files)
    expect("--test " not in logs["data_prep"][0], "sweep's data_prep kept $[[--test ...]] without raw_test")
    expect(all("hqml predict" in c for k, (c, _) in logs.items() if k.startswith("sweep.trial")),
           "a sweep trial left out its validation block")
    scores = json.loads((out["sweep"]["scores"] / "metrics.json").read_text())
    expect(scores["rows"] == counts["validation"], "the sweep trial scored another file than raw_validation")
    expect(not (out["data_prep"]["prepared"] / "test.csv").exists(), "sweep's data_prep got a test file")
    metrics = json.loads((out["evaluate"]["evaluation"] / "metrics.json").read_text())
    expect(metrics["accuracy"] >= 0.8, f"sweep: test accuracy {metrics['accuracy']}")
    print(f"run_components: sweep.yml: validation accuracy {scores['accuracy']:.4f}, test accuracy "
          f"{metrics['accuracy']:.4f}")
    print("run_components: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
