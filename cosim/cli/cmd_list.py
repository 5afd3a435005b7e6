"""``cosim list``: the experiments, shipped configs and shipped model cards.

Example::

    cosim list cards

prints one line per shipped model card: its name (what ``cosim device`` and a
config's ``model_card`` accept), its model and its description.  The names
come from :mod:`cosim.shipped`, so the listing is the same from a source
checkout and from an installed wheel.
"""

from __future__ import annotations

import argparse
import json
import tomllib

from cosim.runs.registry import list_experiments
from cosim.shipped import shipped_cards, shipped_configs, shipped_path

WHAT = ("experiments", "configs", "cards")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``list`` sub-command."""
    p = subparsers.add_parser(
        "list",
        help="list the experiments, the shipped configs and the shipped model cards",
        description=(
            "List what cosim ships: the experiments a config can name (experiment = ...), the experiment and "
            "sweep configs `cosim run NAME` / `cosim sweep NAME` accept by name, and the model cards "
            "`cosim device NAME` and a config's model card accept by name."
        ),
    )
    p.add_argument("what", nargs="?", choices=WHAT, default=None, help="one section only (default: all three)")
    p.add_argument("--json", action="store_true", help="print {section: {name: description}} as JSON")
    p.set_defaults(func=run)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def experiments() -> dict[str, str]:
    """Experiment name -> first line of its config dataclass's docstring."""
    return {name: _first_line(exp.config_cls.__doc__) for name, exp in list_experiments().items()}


def configs() -> dict[str, str]:
    """Shipped config name -> ``experiment: description`` (sweep files: ``sweep of BASE``)."""
    out = {}
    for name in shipped_configs():
        data = tomllib.loads(shipped_path("algorithms", name + ".toml").read_text())
        if "sweep" in data:
            out[name] = f"sweep of {data['sweep'].get('base', '?')}"
        else:
            desc = data.get("description", "")
            out[name] = f"{data.get('experiment', '?')}: {desc}" if desc else str(data.get("experiment", "?"))
    return out


def cards() -> dict[str, str]:
    """Shipped card name -> ``model: description``."""
    out = {}
    for name in shipped_cards():
        data = tomllib.loads(shipped_path("models", name + ".toml").read_text())
        desc = data.get("description", "")
        out[name] = f"{data.get('model', '?')}: {desc}" if desc else str(data.get("model", "?"))
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``cosim list``; returns 0."""
    sections = {"experiments": experiments, "configs": configs, "cards": cards}
    chosen = [args.what] if args.what else list(WHAT)
    tables = {key: sections[key]() for key in chosen}
    if args.json:
        print(json.dumps(tables, indent=1))
        return 0
    for k, key in enumerate(chosen):
        if k:
            print()
        print(f"{key}:")
        width = max((len(n) for n in tables[key]), default=0)
        for name, desc in tables[key].items():
            print(f"  {name:<{width}}  {desc}")
    return 0
