"""Gather jobs: tables and figures over all runs of the study."""

from __future__ import annotations

import logging

import pandas as pd

from disrec.analysis import figures
from disrec.analysis.correlation import rm_corr_table
from disrec.analysis.reference import compare_with_reference
from disrec.analysis.runs_table import collect_runs, metric_columns, summarise_runs
from disrec.storage import atomic_path, read_json, write_parquet

log = logging.getLogger(__name__)


def write_csv(frame: pd.DataFrame, path: str) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def build_runs_table(evaluations: list[str], *, runs_parquet: str, runs_csv: str, summary_csv: str) -> None:
    runs = collect_runs(evaluations)
    counts = runs["status"].value_counts().to_dict()
    log.info("%d runs: %s", len(runs), counts)
    write_parquet(runs, runs_parquet)
    write_csv(runs, runs_csv)
    write_csv(summarise_runs(runs), summary_csv)


def build_correlations(runs_parquet: str, models: list[str], metrics: list[str], covariate: str | None = None, *,
                       by_dataset: str, by_model: str) -> None:
    """Within each dataset (subject = model variant) and, with 2+ datasets, within each model (subject = dataset);
    only the runs of ``models`` (the study correlated every model with a representation: TopPop out). With
    ``covariate``, partial correlations at a fixed covariate."""
    runs = pd.read_parquet(runs_parquet)
    runs = runs[runs["model"].isin(models)]
    write_csv(rm_corr_table(runs, "dataset", "variant", metrics, covariate), by_dataset)
    within_model = runs if runs["dataset"].nunique() >= 2 else runs.iloc[:0]
    write_csv(rm_corr_table(within_model, "variant", "dataset", metrics, covariate), by_model)


def build_reference_comparison(runs_parquet: str, reference_csv: str, names: dict[str, str], *, output: str) -> None:
    comparison = compare_with_reference(pd.read_parquet(runs_parquet), pd.read_csv(reference_csv), names)
    if comparison.empty:
        log.info("no dataset of this study has published reference numbers (datasets.<name>.reference_name)")
    write_csv(comparison, output)


TABLE_TITLES = {"study": "Repeated-measures correlation", "extended": "Repeated-measures correlation, more metrics",
                "chance": "Repeated-measures correlation, representation metrics above chance (normalised)",
                "partial": "Repeated-measures partial correlation at fixed code size"}


def draw_correlation_figures(by_dataset: str, by_model: str, models: list[str], metrics: list[str],
                             table: str = "study", *, dataset_pdf: str, dataset_png: str, model_pdf: str,
                             model_png: str) -> None:
    title = TABLE_TITLES[table]
    figures.correlation_heatmaps(pd.read_csv(by_dataset), "dataset", metrics,
                                 f"{title} within each dataset (subject = model variant; "
                                 f"models: {', '.join(models)})", dataset_pdf, dataset_png)
    figures.correlation_heatmaps(pd.read_csv(by_model), "variant", metrics,
                                 f"{title} within each model variant (subject = dataset)", model_pdf, model_png)


def draw_controllability(evaluations: list[str], *, pdf: str, png: str) -> None:
    figures.controllability_traversals([read_json(path) for path in evaluations], pdf, png)


def draw_beta_tradeoff(runs_parquet: str, *, pdf: str, png: str) -> None:
    figures.beta_tradeoff(pd.read_parquet(runs_parquet), pdf, png)


def draw_metrics_by_model(runs_parquet: str, dataset: str, *, pdf: str, png: str) -> None:
    runs = pd.read_parquet(runs_parquet)
    figures.metrics_by_model(runs, dataset, metric_columns(runs), pdf, png)


def draw_tuning_curves(trials: list[str], searches: list[dict[str, str]], *, pdf: str, png: str) -> None:
    """``trials``: the searches' trials.parquet; ``searches``: the dataset, model, beta and seed of each."""
    figures.tuning_curves([(search, pd.read_parquet(path)) for search, path in zip(searches, trials, strict=True)],
                          pdf, png)
