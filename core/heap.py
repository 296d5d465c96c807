"""What start-up built lives as long as the server: the garbage collector need not walk it again.

A full (oldest generation) collection walks every object the collector tracks: after start-up some 100,000
of them (the routes with their signatures and models, the OpenAPI schema, the ORM's tables and columns).
A burst of judges' sheets allocates enough to run one every few hundred requests, and each held the event
loop for tens of milliseconds on a loaded machine: every request in flight waited, the tail latency of the
workshop. ``gc.freeze()`` after start-up moves those objects to a permanent generation the collector skips;
they are still freed the ordinary way (reference counts) if they ever go, only a cycle among them would stay.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> None:
    """On start-up, last: collect what start-up left over, then keep the rest out of later collections.
    Once per process (a test run starts many apps; later ones are left to the collector)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
