"""Learning to learn on the chip: Ray Tune (outer loop) searches the chip's learning
rates and time constants over a family of cue-accumulation tasks, each learned by
on-chip e-prop from scratch (inner loop). docs/distributed.md walks through it.

    make l2l                                   # installs ray[tune] into .venv when absent
    .venv/bin/python crates/py/examples/l2l_tune.py --trials 16 --tasks 4
    .venv/bin/python crates/py/examples/l2l_tune.py --ray ray://head:10001   # on a cluster

A trial is one set of hyperparameters (``eta_in``/``eta_rec`` as one ``eta``,
``eta_out``, ``tau_m_ms``, ``tau_out_ms``). Its score is the mean test accuracy, after
the same short training budget, over the task family: cue trials with 1, 3 or 5 cues
and several task seeds (each a different draw of trials and of the chip's initial
weights). The family is fixed by ``--family-seed``, so trials compete on the same
tasks; the best configuration is then checked on tasks none of the trials saw
(``--holdout`` seeds). Everything the inner loop computes is the chip's integer
arithmetic, so a trial's score is the same on any machine of the cluster.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import neurochip as nc


def task_family(family_seed: int, tasks: int) -> list[dict[str, Any]]:
    """The tasks of the family: (cues, seed) pairs drawn from ``family_seed``."""
    rng = np.random.default_rng(family_seed)
    return [
        {"n_cues": int(rng.choice([1, 3, 5])), "seed": int(rng.integers(1, 1 << 30))}
        for _ in range(tasks)
    ]


def chip_config(h: dict[str, Any], task: dict[str, Any], budget: dict[str, int]) -> dict[str, Any]:
    """A small cue-accumulation chip with the trial's hyperparameters ``h``."""
    return {
        "name": f"l2l-{task['n_cues']}cues",
        "seed": task["seed"],
        "formats": {"trace_frac": 6, "rounding": "stochastic"},
        "network": {
            "inputs": 40, "neurons": 50, "outputs": 2,
            "tau_m_ms": float(h["tau_m_ms"]), "tau_out_ms": float(h["tau_out_ms"]),
            "refractory_steps": 5, "w_rec_scale": 0.3,
        },
        "task": {"kind": "cue", "n_cues": task["n_cues"], "cue_ms": 50, "gap_ms": 25,
                 "delay_ms": 300, "recall_ms": 100},
        "learning": {"engine": "light", "apply": "online", "eta_in": float(h["eta"]),
                     "eta_rec": float(h["eta"]), "eta_out": float(h["eta_out"]),
                     "eta_bias": 1e-5},
        "train": budget,
    }


def inner_loop(h: dict[str, Any], tasks: list[dict[str, Any]], budget: dict[str, int]) -> float:
    """Mean test accuracy of on-chip e-prop over the tasks, hyperparameters ``h``."""
    accs = []
    for t in tasks:
        chip = nc.Chip(nc.Config.from_dict(chip_config(h, t, budget)))
        accs.append(chip.train().test_accuracy)
    return float(np.mean(accs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=16, help="hyperparameter sets Ray Tune tries")
    ap.add_argument("--tasks", type=int, default=4, help="tasks of the family per trial")
    ap.add_argument("--holdout", type=int, default=4, help="unseen tasks for the best trial")
    ap.add_argument("--family-seed", type=int, default=1)
    ap.add_argument("--search-seed", type=int, default=1,
                    help="seed of the random search's draws of hyperparameters")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-samples", type=int, default=100)
    ap.add_argument("--test-samples", type=int, default=50)
    ap.add_argument("--ray", default="local", help='"local" or a Ray cluster address')
    ap.add_argument("--cpus", type=int, default=None, help="CPUs of a local Ray instance")
    a = ap.parse_args()

    import ray
    from ray import tune
    from ray.tune.search.basic_variant import BasicVariantGenerator

    if a.ray == "local":
        ray.init(num_cpus=a.cpus, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(address=a.ray, log_to_driver=False)
    budget = {"epochs": a.epochs, "train_samples": a.train_samples, "test_samples": a.test_samples}
    family = task_family(a.family_seed, a.tasks)

    def trainable(h: dict[str, Any]) -> dict[str, float]:
        return {"accuracy": inner_loop(h, family, budget)}

    space = {
        "eta": tune.loguniform(1e-7, 1e-4),
        "eta_out": tune.loguniform(1e-5, 1e-2),
        "tau_m_ms": tune.loguniform(20.0, 2000.0),
        "tau_out_ms": tune.loguniform(10.0, 200.0),
    }
    tuner = tune.Tuner(
        trainable,
        param_space=space,
        tune_config=tune.TuneConfig(
            metric="accuracy",
            mode="max",
            num_samples=a.trials,
            # Random search (Ray Tune's default searcher), its draws seeded: the same
            # --search-seed draws the same hyperparameters.
            search_alg=BasicVariantGenerator(random_state=a.search_seed),
        ),
    )
    results = tuner.fit()
    best = results.get_best_result()
    h = best.config
    held = task_family(a.family_seed + 1000, a.holdout)
    unseen = inner_loop(h, held, budget)
    print(json.dumps({
        "best": {k: float(v) for k, v in h.items()},
        "family_accuracy": best.metrics["accuracy"],
        "holdout_accuracy": unseen,
        "trials": a.trials,
        "tasks": a.tasks,
    }, indent=2))
    ray.shutdown()


if __name__ == "__main__":
    main()
