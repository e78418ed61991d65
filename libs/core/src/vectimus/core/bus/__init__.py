"""The message bus: one contract, two transports (Redis Streams, and in-process).

Service code is written against :class:`Bus` and never knows which transport it runs on.
"""

from vectimus.core.bus.contract import Bus, Delivery

__all__ = ["Bus", "Delivery"]
