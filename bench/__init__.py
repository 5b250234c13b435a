"""Benchmarks of ``chalice local``, the local async engine, cold start and synth.

Run ``make bench`` (or ``.venv/bin/python -m bench`` from the project directory).
Every figure is measured side by side, in the same run, with a baseline: a
hello-world Chalice app made with ``chalice new-project`` and served the same
way, by vanilla ``chalice local``. The machine is assumed to be small and
noisy: figures are medians with their min-max spread over several repeats, and
targets are judged on ratios against the same run's baseline wherever one
exists. Nothing in the working tree changes: servers run on free loopback ports
in temporary copies of the project, with their engine state in temporary
directories. Results: ``docs/benchmarks.md``.
"""
