"""The approval workflow of ``[escalation] mode = "approval"`` (docs/escalation.md).

- :mod:`.store`: what a held call is and how it is settled; the in-process store.
- :mod:`.redis_store`: the same in Redis, shared by every gateway replica.
- :mod:`.messages`: what the webhook, Slack and PagerDuty approvers are sent (pure).
- :mod:`.notify`: sending it.
- :mod:`.hold`: holding a call, settling it, and recording the settlement.
- :mod:`.config`: reading ``[escalation]`` for the gateway.
"""
