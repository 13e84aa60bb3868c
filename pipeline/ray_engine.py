"""``--engine ray``: the same per-document function on a Ray cluster (or Ray on this machine).

Ray Data reads the files (``read_binary_files``), runs ``process`` in actors that
load the rules and spaCy once each (``map_batches``), and streams the rows back in
input order; the same streaming, atomic writer as a local run writes them as they
arrive, so the tables are identical to the process-pool run's, one file per table.
The link stage's LSH signing and document pairs then run as a second stage of Ray tasks;
the pairs read their arrays from a folder beside the output tables, so the Ray workers
must see the output folder (this machine, or a file system the cluster shares).

Point it at a cluster with ``RAY_ADDRESS=ray://head:10001`` (or ``--ray-address``);
without one, Ray starts on this machine. Install with ``pip install .[ray]``.
"""
from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

from pipeline.link.stage import link_tables
from pipeline.nlp import context
from pipeline.process import Rows, process
from pipeline.run import DEFAULT_TIME_BUDGET, RunOutput, Summary, run_version, select_inputs
from pipeline.write import TableWriters


class ProcessDocuments:
    """A Ray Data actor: the pipeline loaded once, then document after document."""

    def __init__(self, rules_dir: str, input_dir: str) -> None:
        self.ctx = context(rules_dir)
        self.input_dir = Path(input_dir)

    def __call__(self, batch: dict) -> dict:
        sources, rows = [], []
        for raw, path in zip(batch["bytes"], batch["path"]):
            source = Path(path).relative_to(self.input_dir).as_posix()
            sources.append(source)
            rows.append(pickle.dumps(process(bytes(raw), source, self.ctx, budget=DEFAULT_TIME_BUDGET).tables))
        return {"source": sources, "rows": rows}


def extract_with_ray(input_dir: Path, output_dir: Path, rules_dir: Path | None = None,
                     address: str | None = None, actors: int | None = None, include: tuple[str, ...] = (),
                     exclude: tuple[str, ...] = ()) -> Summary:
    import ray

    began = time.monotonic()
    ctx = context(rules_dir)
    input_dir = input_dir.resolve()
    inputs = select_inputs(input_dir, include, exclude, output_dir)
    paths = inputs.paths
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    try:
        ray.data.DataContext.get_current().execution_options.preserve_order = True
        dataset = ray.data.read_binary_files([str(p) for p in paths], include_paths=True)
        # actors ask for part of a CPU so the file-reading tasks are never starved of one
        results = dataset.map_batches(ProcessDocuments, batch_size=4, concurrency=actors or os.cpu_count() or 1,
                                      num_cpus=0.5,
                                      fn_constructor_kwargs={"rules_dir": ctx.rules_dir, "input_dir": str(input_dir)})
        with TableWriters(output_dir, run_version(ctx.rules.digest)) as writers:
            output = RunOutput(writers)
            for rows in in_input_order(results.iter_rows(), [p.relative_to(input_dir).as_posix() for p in paths]):
                output.add(Rows(pickle.loads(rows)))
            writers.commit(lambda tables: link_tables(tables, mapper=ray_map))
    finally:
        ray.shutdown()
    return output.summary(began, inputs.skipped)


def _map_chunk(function, jobs: list[tuple]) -> list:
    return [function(job) for job in jobs]


def ray_map(function, jobs, chunk: int = 4) -> list:
    """``map`` as a second Ray stage: chunks of jobs (the link stage's signing, word reading and
    spans of document pairs) as Ray tasks, results in order."""
    import ray

    remote = ray.remote(_map_chunk)
    jobs = list(jobs)
    futures = [remote.remote(function, jobs[i:i + chunk]) for i in range(0, len(jobs), chunk)]
    return [rows for done in ray.get(futures) for rows in done]


def in_input_order(results, sources: list[str]):
    """Each document's rows in input order, as they stream in: Ray keeps the order, so the
    buffer for documents that arrive early stays empty and memory stays flat."""
    early: dict[str, bytes] = {}
    position = 0
    for row in results:
        early[row["source"]] = row["rows"]
        while position < len(sources) and sources[position] in early:
            yield early.pop(sources[position])
            position += 1
    if position < len(sources):
        raise RuntimeError(f"Ray returned no rows for {len(sources) - position} files, "
                           f"the first being {sources[position]}")
