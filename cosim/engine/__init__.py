"""cosim.engine layer (see docs/design.md): the discrete-event time line and its trace."""

from cosim.engine.events import Composite, EngineError, Idle, Pulse, Read, Write
from cosim.engine.timeline import Timeline
from cosim.engine.trace import Trace

__all__ = ["Composite", "EngineError", "Idle", "Pulse", "Read", "Timeline", "Trace", "Write"]
