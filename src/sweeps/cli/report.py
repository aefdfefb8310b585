"""``sweeps report``: trials.csv, best.json and report.html for a sweep; for a published sweep
it also prints the run beside its published figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from sweeps.cli.common import add_spec_options, spec_from_args, user_errors


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("report", help="write trials.csv, best.json and report.html")
    add_spec_options(parser)
    parser.add_argument(
        "--out", type=Path, default=None, help="output directory (default: results/<study>)"
    )
    parser.add_argument(
        "--verdict",
        type=Path,
        default=None,
        help="also write whether the sweep succeeded here (the workflow's last step reads it)",
    )
    parser.set_defaults(run=run)


@user_errors
def run(args: argparse.Namespace) -> int:
    from sweeps.report.html import write_html_report
    from sweeps.report.tables import write_tables
    from sweeps.spec.paths import SweepPaths
    from sweeps.study import load_study
    from sweeps.study.budget_record import recorded_budget

    spec = spec_from_args(args)
    out = args.out or SweepPaths.of(spec).root
    study = load_study(spec, check=False)
    csv_path, best_path = write_tables(study, spec, out)
    html_path = write_html_report(study, spec, out / "report.html")
    print(f"wrote {csv_path}, {best_path}, {html_path}")
    if args.verdict is not None:
        from sweeps.report.outcome import write_verdict

        write_verdict(study, spec, args.verdict)
    budget = recorded_budget(study, spec)
    if budget.shortened:
        print(f"budget {budget.line()} (n_trials={budget.n_trials})")
    if spec.published is not None:
        from sweeps.report.published import compare_published

        print(compare_published(study, spec).text())
    return 0
