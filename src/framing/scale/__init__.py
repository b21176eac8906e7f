"""Scale-out on Dask: the heavy steps over partitioned input, on this machine or on a cluster.

- :mod:`framing.scale.runner`: connect to a Dask cluster (or start a local one)
  and map one function over partitions, results in input order. The only
  module that imports Dask, an optional extra: ``pip install 'framing[scale]'``.
- :mod:`framing.scale.partitions`: what a partition is (a span of rows of one
  input file, or a group of whole files), and the ``part-NNNNN.jsonl`` files.
- :mod:`framing.scale.steps`: ``framing predict`` and ``framing ingest`` per partition.
"""
