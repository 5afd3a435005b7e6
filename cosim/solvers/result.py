"""Result types shared by every backend (nodal and ngspice)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class SolverError(RuntimeError):
    """A circuit could not be solved (floating node, singular matrix, Newton
    did not converge, ngspice failed); the message says which and why."""


class BackendUnavailableError(SolverError):
    """A backend's external program is missing (e.g. ngspice not installed)."""


@dataclass
class CircuitSolution:
    """DC operating point of a general circuit.

    Attributes
    ----------
    node_voltages_v : dict of str -> float
        Every node's voltage in volt, keyed by lower-case node name
        (ground ``"0"`` included, at 0 V).
    source_currents_a : dict of str -> float
        Current through every voltage source in ampere, keyed by lower-case
        source name, SPICE sign convention (positive when current enters the
        source at its + node, as ngspice prints ``v#branch``).
    backend : str
        Which backend produced it (``"nodal"``, ``"ngspice-shared"``,
        ``"ngspice-batch"``).
    """

    node_voltages_v: dict[str, float]
    source_currents_a: dict[str, float]
    backend: str = "nodal"

    def to_json_dict(self) -> dict:
        """The ``cosim solve --json`` object."""
        return {
            "node_voltages": {k: float(v) for k, v in sorted(self.node_voltages_v.items())},
            "source_currents": {k: float(v) for k, v in sorted(self.source_currents_a.items())},
        }


@dataclass
class CrossbarSolution:
    """Solved crossbar: one read vector, a batch of them, or one write bias.

    Shapes: with ``batch`` read vectors every array gains a leading batch
    axis; a single read or bias has none.

    Attributes
    ----------
    output_currents_a : (cols,) or (batch, cols)
        Current flowing out of each bit line into its sense node, ampere
        (positive for positive inputs and ohmic cells).
    cell_voltages_v : (rows, cols) or (batch, rows, cols)
        ``V(WL node) - V(BL node)`` at each cell, volt.
    device_voltages_v : same shape
        Voltage across the memristive device alone (differs from the cell
        voltage for 1S1R / 1T1R cells), volt.
    cell_currents_a : same shape
        Current through each cell from word line to bit line, ampere.
    wordline_voltages_v, bitline_voltages_v : same shape
        Node voltages of the word- and bit-line node at each cell, volt.
    driver_currents_a : (rows,) or (batch, rows)
        Current delivered by each word-line driver into its line, ampere
        (0 for floating lines).
    sense_currents_a : (cols,) or (batch, cols)
        Current flowing from each bit line into its sense/driver end, ampere
        (``output_currents_a`` for reads).
    power_cells_w, power_wires_w : float or (batch,)
        Power dissipated in the cells and in wires + driver/sense resistors, watt.
    """

    output_currents_a: np.ndarray
    cell_voltages_v: np.ndarray
    device_voltages_v: np.ndarray
    cell_currents_a: np.ndarray
    wordline_voltages_v: np.ndarray
    bitline_voltages_v: np.ndarray
    driver_currents_a: np.ndarray
    sense_currents_a: np.ndarray
    power_cells_w: np.ndarray | float = 0.0
    power_wires_w: np.ndarray | float = 0.0
    backend: str = "nodal"
    info: dict = field(default_factory=dict)

    @property
    def output_currents(self) -> np.ndarray:
        """Alias of ``output_currents_a`` (badcrossbar-style name), ampere."""
        return self.output_currents_a

    @property
    def power_w(self):
        """Total dissipated power, watt."""
        return self.power_cells_w + self.power_wires_w
