"""The benchmark runner: `python -m bench` (see bench/run.py and README "Performance")."""
