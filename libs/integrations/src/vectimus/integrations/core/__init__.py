"""What every framework integration shares: the Governor, its answers and its trail."""

from .governor import Check, Governor, agent_message
from .remote import Gateway, GatewaySettings
from .trail import Trail

__all__ = ["Check", "Gateway", "GatewaySettings", "Governor", "Trail", "agent_message"]
