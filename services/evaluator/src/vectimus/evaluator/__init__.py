"""Vectimus evaluator service: eval requests in, replies and decisions out.

- :mod:`vectimus.evaluator.main`: ``run(bus, settings, stop, *, runtime=None)``, the service's
  wiring (``EvaluatorService``) and ``load_runtime``.
- :mod:`vectimus.evaluator.handler`: ``answer(request, entry_id, evaluation)``, the pure part.
- :mod:`vectimus.evaluator.settings`: ``EvaluatorSettings``.

Nothing is imported here, so importing one part does not import the others.
"""
