"""Price a Parquet usage dataset on Dask: the streamed pricing function over its partitions.

Each partition (consecutive row groups of one file of the dataset, about
``partition_rows`` rows) is read by pyarrow on a worker and priced by
:func:`tco.usage_stream.price_typed` there; the worker sends back only its totals (a :class:`~tco.usage_stream.Partial`, a few rows per month, model and
group); the client adds them up. So the cluster's memory, not the client's, holds the
rows, and the totals are the same as in process (to rounding).

The scheduler is ``scheduler`` (or ``TCO_DASK_SCHEDULER``: ``tcp://host:8786``) when given,
else a ``LocalCluster`` of ``n_workers`` on this machine, made for the run and closed after.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from tco.catalog import Catalog
from tco.usage import PriceTable, UsageError
from tco.usage_stream import (BATCH_ROWS, Chunk, Partial, UsageSummary, files_of, finish, price_typed, rename,
                              type_chunk)


def partitions(paths: Sequence[Path], partition_rows: int) -> list[tuple[str, list[int], int]]:
    """``(file, row groups, first row)`` of each partition: consecutive row groups up to ``partition_rows``."""
    import pyarrow.parquet as pq

    out = []
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        groups, rows, first = [], 0, 1
        for g in range(meta.num_row_groups):
            groups.append(g)
            rows += meta.row_group(g).num_rows
            if rows >= partition_rows:
                out.append((str(path), groups, first))
                groups, first, rows = [], first + rows, 0
        if groups:
            out.append((str(path), groups, first))
    return out


def price_partition(path: str, row_groups: list[int], first_line: int, table: PriceTable, by: Sequence[str],
                    reader, batch_rows: int = BATCH_ROWS) -> Partial:
    """The totals of one partition, read and priced chunk by chunk on the worker."""
    import pyarrow.parquet as pq

    convert = reader.convert if reader is not None else rename
    parts, line = [], first_line
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, row_groups=row_groups):
        chunk = Chunk(convert(batch), line, path)
        parts.append(price_typed(table, type_chunk(chunk, tuple(by)))[0])
        line += batch.num_rows
    return Partial.total(parts)


def price_usage_dask(source: str | os.PathLike, catalog: Catalog | PriceTable, by: Sequence[str] = (),
                     reader=None, scheduler: str | None = None, client=None, n_workers: int = 2,
                     partition_rows: int = 4 * BATCH_ROWS) -> UsageSummary:
    """Price a Parquet file or dataset folder on Dask; the same :class:`UsageSummary` as in process.

    Parameters
    ----------
    source : a ``.parquet`` file or a folder of them (a dataset).
    catalog : the pricing catalog, or a :class:`~tco.usage.PriceTable` (what is sent to the workers).
    by : grouping columns kept in the totals.
    reader : a :class:`tco.usage_readers.Reader` for another layout.
    scheduler : address of a running scheduler; default ``TCO_DASK_SCHEDULER``, else a local cluster.
    client : a ``distributed.Client`` to use as it is (then ``scheduler`` is ignored).
    n_workers : workers of the local cluster (threads in this process: numpy releases the GIL).
    partition_rows : rows per task (whole row groups).
    """
    import dask

    paths = files_of(source)
    if any(p.suffix.lower() not in (".parquet", ".pq") for p in paths):
        raise UsageError([f"{source}: --engine dask reads Parquet datasets; price CSV or JSON Lines in process, "
                          "or convert them to Parquet first"], str(source))
    table = catalog if isinstance(catalog, PriceTable) else PriceTable.from_catalog(catalog)
    tasks = [dask.delayed(price_partition)(path, groups, first, table, tuple(by), reader)
             for path, groups, first in partitions(paths, partition_rows)]
    if scheduler is None:
        from tco.settings import Settings
        scheduler = Settings.from_env().dask_scheduler or None
    with _client(client, scheduler, n_workers) as c:
        partials = c.gather(c.compute(tasks))
    return finish(Partial.total(partials), table, tuple(by))


class _client:
    """The given client as it is, a client of ``scheduler``, or a local cluster closed after."""

    def __init__(self, client, scheduler, n_workers):
        self.client, self.scheduler, self.n_workers = client, scheduler, n_workers
        self.owned: list = []

    def __enter__(self):
        if self.client is not None:
            return self.client
        from distributed import Client, LocalCluster

        if self.scheduler:
            c = Client(self.scheduler)
        else:
            cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=False,
                                   dashboard_address="127.0.0.1:0")
            self.owned.append(cluster)
            c = Client(cluster)
        self.owned.insert(0, c)
        return c

    def __exit__(self, *exc):
        for thing in self.owned:
            thing.close()
        return False
