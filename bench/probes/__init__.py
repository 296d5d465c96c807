"""Probes behind PERF_PLAN.md: where a request's time goes. Not part of ``make bench``."""
