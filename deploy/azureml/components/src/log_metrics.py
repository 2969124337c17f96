#!/usr/bin/env python3
"""Logs the scores of `hqml predict --metrics FILE` to the Azure ML run, through MLflow.

Usage: log_metrics.py METRICS_JSON [PREFIX]
Logs PREFIX + "accuracy" (and PREFIX + "rows"): validation_accuracy is sweep.yml's objective. Azure ML points
MLflow at the job's run (the environment's azureml-mlflow); where MLflow is not installed (a local run of the
components, tests/deploy/run_components.py) the values are printed and nothing is logged.
"""
import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: log_metrics.py METRICS_JSON [PREFIX]")
    prefix = sys.argv[2] if len(sys.argv) == 3 else ""
    with open(sys.argv[1], encoding="utf-8") as f:
        m = json.load(f)
    if m.get("accuracy") is None:
        sys.exit(f"log_metrics: {sys.argv[1]} has no accuracy (the scored rows had no label column)")
    values = {prefix + "accuracy": float(m["accuracy"]), prefix + "rows": float(m["rows"])}
    try:
        import mlflow
    except ImportError:
        print("log_metrics: mlflow is not installed; not logged: " + json.dumps(values))
        return 0
    mlflow.log_metrics(values)
    print("log_metrics: logged " + json.dumps(values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
