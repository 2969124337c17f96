#!/usr/bin/env python3
"""Checks deploy/: the Azure ML files load with azure-ai-ml's own loaders and agree with hqml serve and the images.

For each deployment (deployment.yml with Dockerfile, deployment-gpu.yml with Dockerfile.cuda):
  - load_online_deployment accepts it as a managed online deployment of endpoint.yml's endpoint;
  - its liveness, readiness and scoring routes are hqml serve's (/v2/health/live, /v2/health/ready, /score)
    on hqml serve's port (5001), which the PORT variable repeats; the image, instance type, model reference,
    request settings and probes are the ones this project deploys;
  - its Dockerfile's final stage runs `hqml serve --host 0.0.0.0` (the GPU image with --device gpu), as a
    non-root user, and EXPOSEs the routes' port.
load_online_endpoint accepts endpoint.yml (key authentication). The loaders must also refuse broken copies
(a route without a port, an unknown key), and the Dockerfile check broken Dockerfiles, so that this check
can fail.
The training pipeline (README.md, "Azure ML pipeline"): load_component and the component's own validation
accept components/*.yml, load_job and the job's validation accept pipeline.yml and sweep.yml, and
load_environment, load_model and load_datastore the environments, model.yml and datastore.yml; each
component runs the hqml program in one of the two pipeline environments, uses its optional inputs only inside
$[[ ]], and hands its outputs as uploaded folders (hqml renames its folders into place); the pipeline's model
is registered under the name deployment.yml serves; the sweep's search space names trial inputs and its
objective is the metric the trial logs. (tests/deploy/run_components.py runs the commands themselves.)
Needs azure-ai-ml (tests/python/setup-venv.sh deploy), no Azure credentials, no network, no Docker.
Usage: check_azureml.py [DEPLOY_DIR] (default: the repository's deploy/).
"""
import copy
import json
import pathlib
import re
import shutil
import sys
import tempfile

import yaml
from azure.ai.ml import (load_component, load_datastore, load_environment, load_job, load_model,
                         load_online_deployment, load_online_endpoint)
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint

# What hqml serve serves (examples/hqml: `hqml serve`): its default port and its routes.
SERVE_PORT = 5001
ROUTES = {"liveness_route": "/v2/health/live", "readiness_route": "/v2/health/ready", "scoring_route": "/score"}
ENDPOINT_NAME = "hqml-serve"
# Per deployment: its file, the Dockerfile of its image, the image's repository name, the instance type,
# and the arguments its ENTRYPOINT must pass to `hqml serve` besides --host 0.0.0.0.
DEPLOYMENTS = [
    ("deployment.yml", "Dockerfile", "hqml-serve", "Standard_DS3_v2", []),
    ("deployment-gpu.yml", "Dockerfile.cuda", "hqml-serve-cuda", "Standard_NC24ads_A100_v4", ["--device", "gpu"]),
]
MAX_REQUEST_TIMEOUT_MS = 180000  # Azure ML's limit for managed online endpoints

failures = []


def check(ok, message):
    if not ok:
        failures.append(message)
    return ok


def check_endpoint(path):
    ep = load_online_endpoint(str(path))
    check(isinstance(ep, ManagedOnlineEndpoint), f"{path.name}: loaded as {type(ep).__name__}, not a managed endpoint")
    check(ep.name == ENDPOINT_NAME, f"{path.name}: name {ep.name!r}, expected {ENDPOINT_NAME!r}")
    check(ep.auth_mode == "key", f"{path.name}: auth_mode {ep.auth_mode!r}, expected 'key'")
    return ep


def check_deployment(path, image_name, instance_type):
    d = load_online_deployment(str(path))
    where = path.name
    check(isinstance(d, ManagedOnlineDeployment), f"{where}: loaded as {type(d).__name__}, not a managed deployment")
    check(d.endpoint_name == ENDPOINT_NAME, f"{where}: endpoint_name {d.endpoint_name!r}, expected {ENDPOINT_NAME!r}")
    check(d.instance_type == instance_type, f"{where}: instance_type {d.instance_type!r}, expected {instance_type!r}")
    check(isinstance(d.instance_count, int) and d.instance_count >= 1, f"{where}: instance_count {d.instance_count!r}")
    # A registered model (the loader keeps "name:version" of azureml:name:version): hqml serve reads it from
    # AZUREML_MODEL_DIR, and the file loads without the model folder present.
    check(isinstance(d.model, str) and re.fullmatch(r"hqml-model:\d+", d.model or ""),
          f"{where}: model {d.model!r}, expected azureml:hqml-model:VERSION")

    env = d.environment
    image = getattr(env, "image", None) or ""
    check(re.fullmatch(r"[a-z0-9]+\.azurecr\.io/" + re.escape(image_name) + r":[\w.-]+", image),
          f"{where}: environment.image {image!r}, expected REGISTRY.azurecr.io/{image_name}:TAG")
    ic = getattr(env, "inference_config", None)
    if check(ic is not None, f"{where}: environment has no inference_config (a custom container needs one)"):
        for attr, route_path in ROUTES.items():
            route = getattr(ic, attr, None)
            if not check(route is not None, f"{where}: inference_config has no {attr}"):
                continue
            check(route.port == SERVE_PORT, f"{where}: {attr}.port {route.port!r}, hqml serve listens on {SERVE_PORT}")
            check(route.path == route_path, f"{where}: {attr}.path {route.path!r}, hqml serve serves {route_path}")

    variables = d.environment_variables or {}
    check(variables.get("PORT") == str(SERVE_PORT),
          f"{where}: environment_variables.PORT {variables.get('PORT')!r}, expected '{SERVE_PORT}' (the routes' port)")
    threads = variables.get("OMP_NUM_THREADS", "")
    check(threads.isdigit() and int(threads) >= 1, f"{where}: environment_variables.OMP_NUM_THREADS {threads!r}")

    rs = d.request_settings
    if check(rs is not None, f"{where}: no request_settings"):
        check(isinstance(rs.request_timeout_ms, int) and 0 < rs.request_timeout_ms <= MAX_REQUEST_TIMEOUT_MS,
              f"{where}: request_timeout_ms {rs.request_timeout_ms!r}, Azure ML allows 1..{MAX_REQUEST_TIMEOUT_MS}")
        check(isinstance(rs.max_concurrent_requests_per_instance, int) and rs.max_concurrent_requests_per_instance >= 1,
              f"{where}: max_concurrent_requests_per_instance {rs.max_concurrent_requests_per_instance!r}")
    for name in ("liveness_probe", "readiness_probe"):
        probe = getattr(d, name)
        if check(probe is not None, f"{where}: no {name}"):
            for field in ("initial_delay", "period", "timeout", "failure_threshold"):
                value = getattr(probe, field)
                check(isinstance(value, int) and value >= 1, f"{where}: {name}.{field} {value!r}, at least 1")
    return d


def dockerfile_problems(path, port, extra_args):
    """What is wrong with the final stage of Dockerfile `path` for a deployment whose routes use `port`."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))  # join continued lines
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    froms = [i for i, ln in enumerate(lines) if re.match(r"FROM\s", ln, re.I)]
    if not froms:
        return [f"{path.name}: no FROM line"]
    final = lines[froms[-1]:]
    problems = []

    def instructions(keyword):
        return [ln.split(None, 1)[1] if " " in ln else "" for ln in final if ln.split()[0].upper() == keyword]

    entry = instructions("ENTRYPOINT")
    if len(entry) != 1:
        problems.append(f"{path.name}: the final stage has {len(entry)} ENTRYPOINT lines, expected one")
    else:
        try:
            argv = json.loads(entry[0])  # exec form: no shell between the platform's signals and the server
        except json.JSONDecodeError:
            argv = None
        expected = ["hqml", "serve", "--host", "0.0.0.0"] + extra_args
        if argv != expected:
            problems.append(f"{path.name}: ENTRYPOINT {entry[0]}, expected {json.dumps(expected)} (exec form)")
    exposed = [p.split("/")[0] for e in instructions("EXPOSE") for p in e.split()]
    if exposed != [str(port)]:
        problems.append(f"{path.name}: EXPOSE {' '.join(exposed) or '(none)'}, expected {port} (the routes' port)")
    users = instructions("USER")
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"{path.name}: the final stage runs as root (no USER, or USER root)")
    return problems


def expect_rejected(label, loader, doc, field, reason, tmp):
    """The loader must refuse `doc` (a broken copy) for `reason` (its message) about key `field`."""
    f = pathlib.Path(tmp, f"{label.replace(' ', '-')}.yml")
    f.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    try:
        loader(str(f))
    except Exception as e:  # azure-ai-ml raises marshmallow's ValidationError or its own wrappers
        message = str(e)
        # The loader reports {"key": ["reason"]}, nested as the document is.
        said = re.search(r'"' + re.escape(field) + r'": \[\s*"' + re.escape(reason) + '"', message)
        if check(said, f"broken copy ({label}): rejected, but not with {field!r}: {reason!r}: {message[:400]!r}"):
            print(f"check_azureml: rejected as expected: {label} ({type(e).__name__})")
        return
    check(False, f"broken copy ({label}): the loader accepted it")


def self_test(deploy, tmp):
    """The loaders and the Dockerfile check refuse broken copies of the real files."""
    endpoint = yaml.safe_load((deploy / "azureml/endpoint.yml").read_text(encoding="utf-8"))
    deployment = yaml.safe_load((deploy / "azureml/deployment.yml").read_text(encoding="utf-8"))
    # Control: the unchanged documents load from the scratch folder, so a rejection below is the edit's doing.
    for name, loader, doc in (("endpoint", load_online_endpoint, endpoint),
                              ("deployment", load_online_deployment, deployment)):
        f = pathlib.Path(tmp, f"control-{name}.yml")
        f.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        loader(str(f))

    broken = copy.deepcopy(deployment)
    del broken["environment"]["inference_config"]["scoring_route"]["port"]
    expect_rejected("scoring route without a port", load_online_deployment, broken, "port",
                    "Missing data for required field.", tmp)
    broken = copy.deepcopy(deployment)
    broken["environment"]["inference_config"]["readiness_route"]["method"] = "GET"
    expect_rejected("unknown key in a route", load_online_deployment, broken, "method", "Unknown field.", tmp)
    broken = copy.deepcopy(deployment)
    broken["instance_typ"] = broken.pop("instance_type")
    expect_rejected("misspelt instance_type", load_online_deployment, broken, "instance_typ", "Unknown field.", tmp)
    broken = copy.deepcopy(endpoint)
    broken["auth"] = broken.pop("auth_mode")
    expect_rejected("unknown key in the endpoint", load_online_endpoint, broken, "auth", "Unknown field.", tmp)

    good = (deploy / "Dockerfile").read_text(encoding="utf-8")
    bad_cases = {
        "ENTRYPOINT without --host 0.0.0.0": good.replace('"--host", "0.0.0.0"', '"--port", "5001"'),
        "ENTRYPOINT in shell form": re.sub(r"ENTRYPOINT .*", "ENTRYPOINT hqml serve --host 0.0.0.0", good),
        "EXPOSE of another port": good.replace("EXPOSE 5001", "EXPOSE 8080"),
        "no USER": re.sub(r"^USER .*$", "", good, flags=re.M),
    }
    for label, text in bad_cases.items():
        if not check(text != good, f"Dockerfile self-test ({label}): the edit did not apply; update the self-test"):
            continue
        f = pathlib.Path(tmp, "Dockerfile")
        f.write_text(text, encoding="utf-8")
        if check(dockerfile_problems(f, SERVE_PORT, []), f"Dockerfile check accepted a broken copy: {label}"):
            print(f"check_azureml: rejected as expected: Dockerfile with {label}")


# The training pipeline: its components, the subcommand each runs, and the environments they run in.
COMPONENTS = {"data_prep": "prep", "quantum_features": "kernel", "model_training": "train", "evaluate": "predict"}
PIPELINE_ENVIRONMENTS = {"environment.yml": "hqml-pipeline", "environment-gpu.yml": "hqml-pipeline-cuda"}
OPTIONAL_BLOCK = re.compile(r"\$\[\[(.*?)\]\]", re.S)
INPUT_REF = re.compile(r"\$\{\{\s*inputs\.(\w+)\s*\}\}")


def validated(entity, where):
    """azure-ai-ml's own validation of a loaded component or job (what `az ml ... create` runs first)."""
    result = entity._validate()  # pylint: disable=protected-access
    check(result.passed, f"{where}: azure-ai-ml's validation: {getattr(result, 'error_messages', result)}")
    return entity


def check_pipeline(deploy):
    aml = deploy / "azureml"
    envs = {}
    for yml, name in PIPELINE_ENVIRONMENTS.items():
        e = load_environment(str(aml / yml))
        check(e.name == name and e.version, f"{yml}: environment {e.name}:{e.version}, expected {name}:VERSION")
        check(re.fullmatch(r"[a-z0-9]+\.azurecr\.io/" + re.escape(name) + r":[\w.-]+", e.image or ""),
              f"{yml}: image {e.image!r}, expected REGISTRY.azurecr.io/{name}:TAG")
        envs[f"{e.name}:{e.version}"] = yml  # the loader keeps "name:version" of azureml:name:version
    components = {}
    for name, sub in COMPONENTS.items():
        where = f"components/{name}.yml"
        c = validated(load_component(str(aml / "components" / f"{name}.yml")), where)
        components[name] = c
        check(c.type == "command", f"{where}: type {c.type}")
        check(str(c.environment) in envs, f"{where}: environment {c.environment}, expected one of {sorted(envs)}")
        command = " ".join(c.command.split())
        check(command.startswith(f"hqml {sub} "), f"{where}: command {command[:60]!r}, expected `hqml {sub} ...`")
        outside = OPTIONAL_BLOCK.sub("", c.command)
        for inp, spec in c.inputs.items():
            if spec.optional and spec.default is None:
                check(inp not in INPUT_REF.findall(outside),
                      f"{where}: optional input {inp} is used outside $[[ ]] (it has no value when not given)")
        for out, spec in c.outputs.items():
            check(spec.mode == "upload", f"{where}: output {out} mode {spec.mode!r}: hqml publishes folders by "
                                         "renaming them into place, which a mounted output cannot take; use upload")
        if c.code:
            check((aml / "components" / c.code / "log_metrics.py").is_file(), f"{where}: code {c.code} lacks "
                                                                               "log_metrics.py")
    qf = components["quantum_features"]
    check("--device ${{inputs.device}}" in qf.command and str(qf.environment) == "hqml-pipeline-cuda:1",
          "quantum_features: --device from its input, in the CUDA environment")

    served = load_online_deployment(str(aml / "deployment.yml")).model.split(":")[0]
    for yml in ("pipeline.yml", "sweep.yml"):
        job = validated(load_job(str(aml / yml)), yml)
        check(type(job).__name__ == "PipelineJob", f"{yml}: loaded as {type(job).__name__}")
        model = job.outputs.get("model")
        check(model is not None and model.type == "custom_model" and model.name == served,
              f"{yml}: the model output is not registered as {served!r} (deployment.yml serves it)")
        for key in ("raw_train", "raw_test"):
            path = getattr(job.inputs.get(key), "path", "") or ""
            check(path.startswith("azureml://datastores/hqml_adls/paths/"), f"{yml}: {key} {path!r} is not on the "
                                                                             "hqml_adls datastore")
        print(f"check_azureml: {yml} loaded: {type(job).__name__}, jobs {', '.join(job.jobs)}; model registered "
              f"as {model.name if model else None}")
    job = load_job(str(aml / "pipeline.yml"))
    node = job.jobs["quantum_features"]
    check(str(node.compute) == "gpu-cluster" or str(node.compute).endswith("gpu-cluster"),
          f"pipeline.yml: quantum_features compute {node.compute!r}, expected the GPU cluster")
    sweep_doc = yaml.safe_load((aml / "sweep.yml").read_text(encoding="utf-8"))["jobs"]["sweep"]
    trial = yaml.safe_load((aml / "components/model_training.yml").read_text(encoding="utf-8"))
    check(sweep_doc["sampling_algorithm"] in ("bayesian", "random"), "sweep.yml: sampling neither bayesian nor random")
    check(set(sweep_doc["search_space"]) == {"c", "feature_scale", "reps"} <= set(trial["inputs"]),
          f"sweep.yml: search space {sorted(sweep_doc['search_space'])} is not the trial's C, feature scale, reps")
    metric = sweep_doc["objective"]["primary_metric"]
    check(metric.startswith("validation_") and "log_metrics.py" in trial["command"]
          and f" {metric.removesuffix('accuracy')}]]" in " ".join(trial["command"].split()),
          f"sweep.yml: objective {metric!r} is not what the trial's log_metrics.py logs")
    print(f"check_azureml: sweep.yml: {sweep_doc['sampling_algorithm']} sampling over "
          f"{', '.join(sweep_doc['search_space'])}, objective {metric}")
    for yml in ("pipeline.yml", "sweep.yml"):
        failures.extend(binding_problems(aml, yml))
    m = load_model(str(aml / "model.yml"))
    check(m.name == served and m.type == "custom_model", f"model.yml: {m.name} {m.type}")
    d = load_datastore(str(aml / "datastore.yml"))
    check(type(d).__name__ == "AzureDataLakeGen2Datastore" and d.name == "hqml_adls",
          f"datastore.yml: {type(d).__name__} {d.name}")
    text = (aml / "Dockerfile.pipeline").read_text(encoding="utf-8")
    check(re.search(r"^FROM \$\{BASE\}", text, re.M) and re.search(r"^ENTRYPOINT \[\]", text, re.M)
          and "azureml-mlflow" in text, "Dockerfile.pipeline: FROM ${BASE}, no ENTRYPOINT, MLflow installed")
    print(f"check_azureml: components {', '.join(COMPONENTS)} loaded and valid; environments, model.yml, "
          "datastore.yml loaded")
    return components


def binding_problems(aml, yml, doc=None):
    """What azure-ai-ml's validation lets through in a pipeline's wiring (it leaves it to the service): a node
    input its component lacks, ${{parent.inputs.X}} of no pipeline input, ${{parent.outputs.X}} of no pipeline
    output, ${{parent.jobs.N.outputs.Y}} of no node N or no output Y of N's component."""
    doc = doc or yaml.safe_load((aml / yml).read_text(encoding="utf-8"))
    problems = []
    comps = {}
    for name, node in doc["jobs"].items():
        ref = node.get("component") or node.get("trial")
        comps[name] = yaml.safe_load((aml / ref).read_text(encoding="utf-8"))
    for name, node in doc["jobs"].items():
        c = comps[name]
        for side in ("inputs", "outputs"):
            for key, value in (node.get(side) or {}).items():
                if key not in (c.get(side) or {}):
                    problems.append(f"{yml}: {name}.{side}.{key}: the component has no such {side[:-1]}")
                if not isinstance(value, str):
                    continue
                for kind, ref in re.findall(r"\$\{\{\s*parent\.(inputs|outputs)\.(\w+)\s*\}\}", value):
                    if ref not in (doc.get(kind) or {}):
                        problems.append(f"{yml}: {name}.{side}.{key}: no pipeline {kind[:-1]} {ref!r}")
                for node_ref, out in re.findall(r"\$\{\{\s*parent\.jobs\.(\w+)\.outputs\.(\w+)\s*\}\}", value):
                    if node_ref not in comps:
                        problems.append(f"{yml}: {name}.{side}.{key}: no node {node_ref!r}")
                    elif out not in (comps[node_ref].get("outputs") or {}):
                        problems.append(f"{yml}: {name}.{side}.{key}: node {node_ref} has no output {out!r}")
    return problems


def pipeline_self_test(deploy, tmp):
    """The loaders and checks refuse broken copies of the pipeline's files."""
    aml = deploy / "azureml"
    doc = yaml.safe_load((aml / "components/data_prep.yml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(doc)
    broken["comand"] = broken.pop("command")
    f = pathlib.Path(tmp, "misspelt.yml")
    f.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    try:
        load_component(str(f))
        check(False, "a component with a misspelt command key loaded")
    except Exception as e:  # marshmallow's ValidationError, wrapped
        said = re.search(r'"message": "Missing data for required field\.",\s*"path": "command"', str(e))
        if check(said, f"a component without a command: rejected, but not for its command: {str(e)[:300]!r}"):
            print("check_azureml: rejected as expected: component with a misspelt command key")
    broken = copy.deepcopy(doc)
    broken["command"] = broken["command"].replace("${{inputs.qubits}}", "${{inputs.qbits}}")
    f.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    if check(not load_component(str(f))._validate().passed,  # pylint: disable=protected-access
             "a component naming an input it lacks passed validation"):
        print("check_azureml: rejected as expected: component naming an input it lacks")
    job = yaml.safe_load((aml / "pipeline.yml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(job)
    del broken["jobs"]["data_prep"]["inputs"]["label"]
    sub = pathlib.Path(tmp, "azureml")
    shutil.copytree(aml, sub, dirs_exist_ok=True)
    (sub / "pipeline.yml").write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    if check(not load_job(str(sub / "pipeline.yml"))._validate().passed,  # pylint: disable=protected-access
             "a pipeline leaving a required component input unset passed validation"):
        print("check_azureml: rejected as expected: pipeline leaving data_prep's label unset")
    for label, edit in (
            ("an output of a node it lacks", lambda j: j["jobs"]["evaluate"]["inputs"].update(
                model="${{parent.jobs.nowhere.outputs.model}}")),
            ("a pipeline input it lacks", lambda j: j["jobs"]["data_prep"]["inputs"].update(
                label="${{parent.inputs.lable}}")),
            ("an input the component lacks", lambda j: j["jobs"]["data_prep"]["inputs"].update(qbits=3))):
        broken = copy.deepcopy(job)
        edit(broken)
        if check(binding_problems(aml, "pipeline.yml", broken), f"the wiring check accepted {label}"):
            print(f"check_azureml: rejected as expected: pipeline wiring {label}")


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    deploy = pathlib.Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else root / "deploy"
    ep = check_endpoint(deploy / "azureml/endpoint.yml")
    print(f"check_azureml: endpoint.yml loaded: {type(ep).__name__} {ep.name}, auth_mode {ep.auth_mode}")
    for yml, dockerfile, image_name, instance_type, extra_args in DEPLOYMENTS:
        d = check_deployment(deploy / "azureml" / yml, image_name, instance_type)
        ic = d.environment.inference_config
        print(f"check_azureml: {yml} loaded: {type(d).__name__} {d.name}, image {d.environment.image}, "
              f"{d.instance_type} x{d.instance_count}, model {d.model}, routes "
              + ", ".join(f"{getattr(ic, a).path}:{getattr(ic, a).port}" for a in ROUTES if getattr(ic, a, None)))
        problems = dockerfile_problems(deploy / dockerfile, SERVE_PORT, extra_args)
        failures.extend(problems)
        if not problems:
            args = " ".join(["hqml serve --host 0.0.0.0"] + extra_args)
            print(f"check_azureml: {dockerfile}: ENTRYPOINT {args} (non-root), EXPOSE {SERVE_PORT}")
    check_pipeline(deploy)
    with tempfile.TemporaryDirectory() as tmp:
        self_test(deploy, tmp)
        pipeline_self_test(deploy, tmp)
    for message in failures:
        print(f"check_azureml: FAIL: {message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
