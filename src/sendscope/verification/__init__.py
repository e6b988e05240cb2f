"""The parts of ``verify`` (the use case is ``sendscope.verify``; its docstring is the API).

- ``model``: rungs, evidence, each address's state, rounds, the report;
- ``plan``: the checked request and its durations;
- ``ladder``: the pure rules from evidence to states and the outcome;
- ``explain``: each state as a sentence;
- ``probes``: the admin's reads and the app's sends;
- ``run``: the rounds, on an injected clock.
"""

__all__: list[str] = []
