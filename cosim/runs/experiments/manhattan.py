"""Manhattan-rule perceptron experiments (the names of the module before it was split in four).

The experiments live in :mod:`cosim.runs.experiments.manhattan_4x4`
(``manhattan_4x4``, ``manhattan_4x4_seeds``),
:mod:`cosim.runs.experiments.manhattan_letters` (``prezioso_letters``) and
:mod:`cosim.runs.experiments.manhattan_study` (``manhattan_study``); this
module re-exports their names so that ``from cosim.runs.experiments.manhattan
import LettersConfig`` keeps working.  It declares no ``EXPERIMENTS`` table
itself (the registry finds each experiment once, in its own module).
"""

from cosim.runs.experiments.manhattan_4x4 import (  # noqa: F401
    CircuitSettings,
    Manhattan4x4Config,
    ManhattanSeedsConfig,
    _history_metrics,
    _save_figures,
    history_metrics,
    outlier_index,
    run_manhattan_4x4,
    run_manhattan_seeds,
    save_training_figures,
)
from cosim.runs.experiments.manhattan_letters import (  # noqa: F401
    LettersConfig,
    _card_path,
    letters_array,
    letters_rule,
    run_letters,
    train_letters,
)
from cosim.runs.experiments.manhattan_study import StudyConfig, run_study  # noqa: F401
