"""Cores: neuron models, plasticity rules and synapses (see :mod:`cosim.algorithms.cores.base`).

Shipped: the LIF/BP/WTA network and STDP through adapters
(:mod:`.adapters`), Izhikevich neurons (:mod:`.izhikevich`), the Tempotron
(:mod:`.tempotron`) and direct random target projection (:mod:`.drtp`).
"""

from cosim.algorithms.cores.adapters import BackpropWTARule, LIFNeuron, STDPRule
from cosim.algorithms.cores.base import (
    Core,
    CoreError,
    CoreSpec,
    NeuronModel,
    PlasticityRule,
    Seen,
    one_hot,
)
from cosim.algorithms.cores.synapses import ExactSynapses, MappedSynapses, PulsedSynapses, SynapseConfig, build_synapses
from cosim.algorithms.cores.izhikevich import PRESETS, Izhikevich
from cosim.algorithms.cores.tempotron import TempotronNeuron, TempotronRule, kernel, kernel_traces, latency_code

__all__ = [
    "Core",
    "CoreError",
    "CoreSpec",
    "ExactSynapses",
    "MappedSynapses",
    "NeuronModel",
    "PlasticityRule",
    "PulsedSynapses",
    "Seen",
    "SynapseConfig",
    "build_synapses",
    "one_hot",
    "LIFNeuron",
    "BackpropWTARule",
    "STDPRule",
    "PRESETS",
    "Izhikevich",
    "TempotronNeuron",
    "TempotronRule",
    "kernel",
    "kernel_traces",
    "latency_code",
]
