"""Re-sealing a table's sealed columns under the current key, in short batches, while the servers run.

Each batch is its own short write transaction, and each row is updated only if its sealed values are still
the ones read (compare-and-swap on the bytes): a concurrent edit, which seals under the current key anyway,
wins and the row is counted as skipped. The row's ``version`` is not bumped (the data did not change), so
no organizer's edit in flight gets a spurious 409. Fingerprints do not change, so look-ups by ID number keep
working throughout. Run it again to finish after an interruption: it only touches what is not yet current.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from piccolo.columns import Column
from piccolo.table import Table

from core import crypto
from core.db import write_transaction


class ResealCount(msgspec.Struct, kw_only=True):
    table: str
    rows: int = 0  # rows read
    resealed: int = 0  # rows whose values were re-sealed
    skipped: int = 0  # rows changed by someone else between the read and the write
    by_version: dict[int, int] = msgspec.field(default_factory=dict)  # values found per key version


def _stale_values(
    row: dict[str, Any], columns: Sequence[Column], ring: crypto.KeyRing, count: ResealCount
) -> dict[Column, bytes]:
    values: dict[Column, bytes] = {}
    for column in columns:
        blob = row[column._meta.name]
        if not blob:
            continue  # erased, or never given
        plain, version = crypto.open_sealed(bytes(blob), ring)
        count.by_version[version] = count.by_version.get(version, 0) + 1
        if version != ring.current:
            values[column] = crypto.seal(plain, ring)
    return values


async def reseal_table(
    table: type[Table],
    columns: Sequence[Column],
    *,
    ring: crypto.KeyRing | None = None,
    batch_size: int = 500,
    max_batches: int | None = None,
) -> ResealCount:
    """Re-seal every value of ``columns`` not sealed under ``ring``'s current key (the settings' ring)."""
    ring = ring or crypto.key_ring()
    count = ResealCount(table=table._meta.tablename)
    last_id, batches = 0, 0
    while max_batches is None or batches < max_batches:
        rows = (
            await table.select(table._meta.primary_key, *columns)
            .where(table._meta.primary_key > last_id)
            .order_by(table._meta.primary_key)
            .limit(batch_size)
        )
        if not rows:
            break
        batches += 1
        last_id = rows[-1]["id"]
        count.rows += len(rows)
        async with write_transaction():
            for row in rows:
                values = _stale_values(row, columns, ring, count)
                if not values:
                    continue
                unchanged = table._meta.primary_key == row["id"]
                for column in values:
                    unchanged &= column == bytes(row[column._meta.name])
                if await table.update(values).where(unchanged).returning(table._meta.primary_key):
                    count.resealed += 1
                else:
                    count.skipped += 1
    return count
