"""routeapi's performance benchmarks (not part of the default test run; see docs/performance.md).

Run from the repository root, one command each; ``--quick`` gives a ~15 s smoke run:

    python -m tests.benchmarks.imports     # import cost, fresh interpreters
    python -m tests.benchmarks.overhead    # in-process: routeapi vs vendor SDK vs raw httpx2
    python -m tests.benchmarks.gateway     # the gateway vs a minimal proxy vs the upstream itself
    python -m tests.benchmarks.memory      # gateway RSS: idle, many requests, 1,000 slow streams
"""
