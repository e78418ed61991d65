"""The message bus: one contract, two transports (Redis Streams, and in-process).

Service code is written against :class:`Bus` and never knows which transport it runs on.
Transports live in :mod:`vectimus.core.bus.memory` (``MemoryBus``) and
:mod:`vectimus.core.bus.redis` (``RedisBus``); neither is imported here, so the contract
stays light.
"""

from vectimus.core.bus.contract import Bus, BusError, BusUnavailable, Delivery, NoGroupError

__all__ = ["Bus", "BusError", "BusUnavailable", "Delivery", "NoGroupError"]
