"""Hyper-parameter search with Ray Tune, Optuna as the searcher, every trial logged to MLflow.

The entrypoint of the ray-tune example's RayJob (mounted on the head and run as ``python tune_job.py``), and
the same file the integration tests run on a local Ray against a real MLflow server.

The model is a logistic regression trained by mini-batch gradient descent in NumPy on a fixed synthetic
dataset (or on a parquet file at ``DATA_URL``, last column the label), so the job needs nothing but the
Ray image's NumPy; Optuna proposes learning rate, L2 strength and batch size, ASHA stops hopeless trials
early (GPU minutes are money), and the best trial is tagged in MLflow.

Environment:
    MLFLOW_TRACKING_URI       MLflow server (required); credentials as MLFLOW_TRACKING_USERNAME/PASSWORD
    MLFLOW_EXPERIMENT         experiment name (default: ray-tune)
    TUNE_NUM_SAMPLES          trials (default: 20)
    TUNE_MAX_CONCURRENT       trials at once (default: 4)
    TUNE_GPUS_PER_TRIAL       GPUs each trial asks for: what makes the autoscaler add GPU workers (default: 1)
    TUNE_STORAGE_PATH         where Tune keeps results and checkpoints (default: RAY_RESULTS_URL, else local)
    DATA_URL                  optional parquet file with features and a final label column
"""

from __future__ import annotations

import os

import numpy as np
import ray
from ray import tune
from ray.tune import Callback
from ray.tune.schedulers import ASHAScheduler
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.optuna import OptunaSearch

EPOCHS = 8


def load_data() -> tuple[np.ndarray, np.ndarray]:
    url = os.environ.get("DATA_URL")
    if url:
        import pandas as pd

        frame = pd.read_parquet(url)
        return frame.iloc[:, :-1].to_numpy(dtype=np.float64), frame.iloc[:, -1].to_numpy(dtype=np.float64)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4000, 12))
    w = rng.normal(size=12)
    y = (x @ w + rng.normal(scale=0.5, size=4000) > 0).astype(np.float64)
    return x, y


def log_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(1 / (1 + np.exp(-(x @ w))), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def train(config: dict, data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """One trial: gradient descent epochs, reporting validation loss after each (ASHA may stop it)."""
    x, y = data if data is not None else load_data()
    split = int(len(x) * 0.8)
    rng = np.random.default_rng(0)
    w = np.zeros(x.shape[1])
    batch = int(config["batch_size"])
    for epoch in range(EPOCHS):
        order = rng.permutation(split)
        for start in range(0, split, batch):
            idx = order[start : start + batch]
            p = 1 / (1 + np.exp(-(x[idx] @ w)))
            grad = x[idx].T @ (p - y[idx]) / len(idx) + config["l2"] * w
            w -= config["lr"] * grad
        tune.report({"loss": log_loss(w, x[split:], y[split:]), "epoch": epoch + 1})


class MlflowTrials(Callback):
    """One MLflow run per trial: its hyper-parameters when it starts, its loss curve in one batch when it ends.

    Ray's MLflowLoggerCallback sends a request per metric per result; against MLflow's basic-auth server (every
    request checks the password hash, ~0.25 s) that is most of a sweep's time. Three requests a trial suffice.
    """

    def __init__(self, tracking_uri: str, experiment: str, tags: dict[str, str]):
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri)
        found = self.client.get_experiment_by_name(experiment)
        self.experiment_id = found.experiment_id if found else self.client.create_experiment(experiment)
        self.tags = tags
        self.runs: dict[str, str] = {}
        self.history: dict[str, list] = {}

    def on_trial_start(self, iteration, trials, trial, **info):
        from mlflow.entities import Param

        run = self.client.create_run(self.experiment_id, run_name=trial.trial_id, tags=self.tags)
        self.runs[trial.trial_id] = run.info.run_id
        self.history[trial.trial_id] = []
        params = [Param(k, str(v)) for k, v in trial.config.items()]
        self.client.log_batch(run.info.run_id, params=params)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        from mlflow.entities import Metric

        step, stamp = int(result["epoch"]), int(result["timestamp"] * 1000)
        self.history[trial.trial_id].append(Metric("loss", float(result["loss"]), stamp, step))

    def _end(self, trial, status: str) -> None:
        run_id = self.runs.pop(trial.trial_id, None)
        if run_id is not None:
            self.client.log_batch(run_id, metrics=self.history.pop(trial.trial_id, []))
            self.client.set_terminated(run_id, status)

    def on_trial_complete(self, iteration, trials, trial, **info):
        self._end(trial, "FINISHED")

    def on_trial_error(self, iteration, trials, trial, **info):
        self._end(trial, "FAILED")


def main() -> tune.ResultGrid:
    ray.init(address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True)
    experiment = os.environ.get("MLFLOW_EXPERIMENT", "ray-tune")
    samples = int(os.environ.get("TUNE_NUM_SAMPLES", "20"))
    gpus = float(os.environ.get("TUNE_GPUS_PER_TRIAL", "1"))
    storage = os.environ.get("TUNE_STORAGE_PATH") or os.environ.get("RAY_RESULTS_URL") or None
    search = ConcurrencyLimiter(
        OptunaSearch(metric="loss", mode="min", seed=42), max_concurrent=int(os.environ.get("TUNE_MAX_CONCURRENT", "4"))
    )
    tuner = tune.Tuner(
        # with_parameters puts the dataset in the object store once; every trial reads the same copy.
        tune.with_resources(tune.with_parameters(train, data=load_data()), {"cpu": 1, "gpu": gpus}),
        param_space={
            "lr": tune.loguniform(1e-3, 1.0),
            "l2": tune.loguniform(1e-6, 1e-1),
            "batch_size": tune.choice([32, 64, 128, 256]),
        },
        tune_config=tune.TuneConfig(
            search_alg=search,
            scheduler=ASHAScheduler(metric="loss", mode="min", max_t=EPOCHS, grace_period=2),
            num_samples=samples,
        ),
        run_config=tune.RunConfig(
            name=experiment,
            storage_path=storage,
            callbacks=[
                MlflowTrials(os.environ["MLFLOW_TRACKING_URI"], experiment, {"searcher": "optuna", "scheduler": "asha"})
            ],
        ),
    )
    results = tuner.fit()
    best = results.get_best_result(metric="loss", mode="min")
    import mlflow

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="best"):
        mlflow.set_tag("best_of", str(samples))
        mlflow.log_params({k: v for k, v in best.config.items() if k in ("lr", "l2", "batch_size")})
        mlflow.log_metric("loss", float(best.metrics["loss"]))
    print(f"best loss {best.metrics['loss']:.4f} with {best.config}")
    return results


if __name__ == "__main__":
    main()
