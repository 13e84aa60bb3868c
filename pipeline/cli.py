"""Command line: ``policy-pipeline extract IN OUT`` (or ``python -m pipeline …``), ``rules check``,
``review``, ``export``, ``scores``, ``bench``, ``dictionary``."""
from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

from pipeline import __version__
from pipeline.rules import RULES_DIR, RuleError, check_rules
from pipeline.write import RunLocked


def _extract(args: argparse.Namespace) -> int:
    from pipeline.run import extract

    if not args.input.is_dir():
        print(f"error: input folder {args.input} does not exist or is not a folder", file=sys.stderr)
        return 2
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        probe = args.output / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        print(f"error: cannot write to output folder {args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        if args.engine == "ray":
            try:
                from pipeline.ray_engine import extract_with_ray
                import ray  # noqa: F401
            except ImportError:
                print("error: --engine ray needs Ray: pip install '.[ray]'", file=sys.stderr)
                return 2
            summary = extract_with_ray(args.input, args.output, args.rules, args.ray_address, args.jobs,
                                       tuple(args.include), tuple(args.exclude))
        else:
            summary = extract(args.input, args.output, args.rules, quiet=args.quiet, max_mb=args.max_mb,
                              full=args.full, jobs=args.jobs, include=tuple(args.include),
                              exclude=tuple(args.exclude), time_budget=args.time_budget, release_nlp=True)
    except RuleError as exc:
        print(f"error: invalid rules: {exc}", file=sys.stderr)
        return 2
    except RunLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        print(f"error: no space left on the device while writing {args.output}; the previous tables are "
              "untouched: free some space and run again", file=sys.stderr)
        return 2
    if summary.files == 0:
        globs = " (check --include/--exclude)" if args.include or args.exclude else ""
        print(f"warning: no document files found in {args.input}{globs}; "
              f"{summary.skipped} files skipped as not documents", file=sys.stderr)
    print(summary.line())
    return 0


def _export(args: argparse.Namespace) -> int:
    from pipeline.tables import export_tables

    try:
        written = export_tables(args.output, args.format, args.to)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def _rules_check(args: argparse.Namespace) -> int:
    problems = check_rules(args.rules)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} rule problem(s)", file=sys.stderr)
        return 1
    print(f"rules ok ({args.rules})")
    return 0


def _review(args: argparse.Namespace) -> int:
    from pipeline.review import write_review

    try:
        index = write_review(args.output)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {index}")
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    from pipeline.dictionary import update

    for path in update():
        print(f"updated {path}")
    return 0


def _scores(args: argparse.Namespace) -> int:
    from pipeline.quality import GOLD_SETS, below_floor, link_below_floor, scores_table, update_readme, web_below_floor

    results = update_readme()
    print(scores_table(results))
    problems = [p for name in GOLD_SETS for p in below_floor(name, results[name])]
    problems += web_below_floor(results["web"]) + link_below_floor(results["links"])
    for problem in problems:
        print(f"below floor: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _bench(args: argparse.Namespace) -> int:
    from pipeline.bench import main as bench, render

    sizes = tuple(float(x) for x in args.sizes.split(","))
    print(render(bench(args.mb, args.work, args.report, args.small, sizes, args.repeat)))
    print(f"saved {args.report}")
    return 0


def _program() -> str:
    """How the user called us: the console script, or ``python -m pipeline``."""
    name = Path(sys.argv[0]).name
    return name if name == "policy-pipeline" else "python -m pipeline"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=_program(), description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="raw documents -> Parquet tables")
    ex.add_argument("input", type=Path, help="folder of raw documents (searched recursively)")
    ex.add_argument("output", type=Path, help="folder for the Parquet tables")
    ex.add_argument("--rules", type=Path, default=RULES_DIR, help="rules folder (default: rules/)")
    ex.add_argument("--quiet", action="store_true", help="no progress output")
    ex.add_argument("--max-mb", type=float, default=20, help="largest file read as one document (default 20)")
    ex.add_argument("--full", action="store_true", help="reprocess every file, even unchanged ones")
    ex.add_argument("--jobs", type=int, default=None, help="worker processes or Ray actors (default: all cores)")
    ex.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local process pool (default) or Ray Data (pip install '.[ray]')")
    ex.add_argument("--ray-address", default=None, help="Ray cluster address (default: $RAY_ADDRESS, else local)")
    ex.add_argument("--time-budget", type=float, default=600, metavar="SECONDS",
                    help="seconds one file may take before a timer stops it and marks it failed (default 600); "
                         "a worker stuck past that where the timer cannot reach is stopped 30 s later and its "
                         "file retried alone once")
    ex.add_argument("--include", action="append", default=[], metavar="GLOB",
                    help="read only files whose path below the input folder or name matches (repeatable; "
                         "also reads manifests and images, skipped otherwise)")
    ex.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                    help="skip files whose path below the input folder or name matches (repeatable)")
    ex.set_defaults(func=_extract)
    export = sub.add_parser("export", help="the Parquet tables as CSV or JSON Lines, for tools without Parquet")
    export.add_argument("output", type=Path, nargs="?", default=Path("outputs"), help="folder of the tables")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="file format (default csv)")
    export.add_argument("--to", type=Path, default=None, help="folder to write to (default: OUTPUT/export)")
    export.set_defaults(func=_export)
    rules = sub.add_parser("rules", help="rule files")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="validate every rule file and run its examples")
    check.add_argument("--rules", type=Path, default=RULES_DIR, help="rules folder (default: rules/)")
    check.set_defaults(func=_rules_check)
    review = sub.add_parser("review", help="write static HTML review pages next to the tables")
    review.add_argument("output", type=Path, nargs="?", default=Path("outputs"), help="folder of the tables")
    review.set_defaults(func=_review)
    dictionary = sub.add_parser("dictionary", help="regenerate the data dictionary and README column table")
    dictionary.set_defaults(func=_dictionary)
    scores = sub.add_parser("scores", help="score the seeds, ../shared/corpus and ../shared/web on their gold; "
                                                  "rewrite the README table")
    scores.set_defaults(func=_scores)
    bench = sub.add_parser("bench", help="build a corpus from real text and measure throughput and memory, "
                                         "beside jieba on the same text")
    bench.add_argument("--mb", type=float, default=10, help="corpus size in MB (default 10)")
    bench.add_argument("--small", type=int, default=10_000, help="small files for the memory run (default 10000)")
    bench.add_argument("--sizes", default="0.1,1,10", help="MB of the single documents timed (default 0.1,1,10)")
    bench.add_argument("--repeat", type=int, default=2,
                       help="rounds of the jieba anchor and the 1- and all-core runs, the best of each kept (default 2)")
    bench.add_argument("--work", type=Path, default=Path("/tmp/policy-bench"), help="scratch folder")
    bench.add_argument("--report", type=Path, default=Path("outputs/bench.json"),
                       help="where to save the figures as JSON (default outputs/bench.json)")
    bench.set_defaults(func=_bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
