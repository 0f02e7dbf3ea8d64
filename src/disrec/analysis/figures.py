"""The study's figures, each saved as PDF (for the paper) and PNG (for a quick look).

- correlation heatmaps: one panel per group (dataset or model variant), lower
  triangle, repeated-measures r printed with * where p < 0.05;
- the beta trade-off: NDCG@10, disentanglement and SHAP-global against beta,
  mean +- sd over seeds, per dataset and KL model;
- per dataset, every metric by model variant (mean +- sd over seeds).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from disrec.analysis.runs_table import CORRELATED  # noqa: E402
from disrec.storage import atomic_path  # noqa: E402

TRADEOFF = {"ndcg@10": "NDCG@10", "disentanglement": "Disentanglement (D)", "shap": "SHAP-global"}
METRIC_TITLES = {"ndcg": "NDCG", "recall": "Recall", "mrr": "MRR", "coverage": "Coverage",
                 "disentanglement": "Disentanglement (D)", "completeness": "Completeness (C)",
                 "informativeness": "Informativeness (I)", "lime": "LIME-global", "shap": "SHAP-global"}
sns.set_theme(style="whitegrid", context="paper", font_scale=1.2)


def save(figure: plt.Figure, pdf: str, png: str) -> None:
    for path, options in ((pdf, {}), (png, {"dpi": 150})):
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=Path(path).suffix[1:], bbox_inches="tight", **options)
    plt.close(figure)


def _note(ax: plt.Axes, text: str) -> None:
    ax.text(0.5, 0.5, textwrap.fill(text, 40), ha="center", va="center", fontsize=11, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def correlation_heatmaps(table: pd.DataFrame, group_by: str, title: str, pdf: str, png: str) -> None:
    """One lower-triangle heatmap of r per group in ``table`` (an rm_corr table)."""
    metrics, labels = list(CORRELATED), list(CORRELATED.values())
    index = {m: i for i, m in enumerate(metrics)}
    computed = [g for g in dict.fromkeys(table[group_by]) if table.loc[table[group_by] == g, "r"].notna().any()]
    if not computed:
        reasons = table["reason"].dropna()
        figure, ax = plt.subplots(figsize=(7, 3))
        _note(ax, reasons.iloc[0] if len(reasons) else f"no {group_by} to correlate within")
        ax.set_title(title)
        save(figure, pdf, png)
        return
    columns = min(3, len(computed))
    rows = math.ceil(len(computed) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(5.4 * columns, 4.8 * rows), squeeze=False)
    for ax in axes.ravel()[len(computed):]:
        ax.set_visible(False)
    for ax, group in zip(axes.ravel(), computed):
        values = np.full((len(metrics), len(metrics)), np.nan)
        text = np.full(values.shape, "", dtype=object)
        for row in table[table[group_by] == group].itertuples():
            i, j = sorted((index[row.x], index[row.y]), reverse=True)  # lower triangle: i > j
            values[i, j] = row.r
            if not np.isnan(row.r):
                text[i, j] = f"{row.r:.2f}" + ("*" if row.p < 0.05 else "")
        # The first row and the last column of a strict lower triangle are empty: drop them.
        values, text = values[1:, :-1], text[1:, :-1]
        mask = np.triu(np.ones_like(values, dtype=bool), k=1)
        sns.heatmap(values, mask=mask, annot=text, fmt="", cmap="RdBu_r", vmin=-1, vmax=1, square=True,
                    xticklabels=labels[:-1], yticklabels=labels[1:], cbar_kws={"shrink": 0.7, "label": "r"},
                    annot_kws={"fontsize": 8}, ax=ax, linewidths=0.5)
        ax.grid(False)
        ax.set_title(str(group))
        ax.tick_params(axis="x", rotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    figure.suptitle(title + "   (* p < 0.05)", y=1.0)
    figure.tight_layout()
    save(figure, pdf, png)


def beta_tradeoff(runs: pd.DataFrame, pdf: str, png: str) -> None:
    """Mean +- sd over seeds against beta, per dataset (rows) and metric (columns), one line per KL model.

    Each variant sits at the KL weight its final fits reached (mean over seeds, sd as a horizontal bar),
    not at its configured beta: annealing can stop short of beta. Runs without a reached weight (failed
    training) and betas chosen by the search are left out, and the title says how many.
    """
    swept = runs[runs["beta"].notna() & ~runs["beta_tuned"]]
    placed = swept[swept["beta_reached"].notna() & (swept["beta_reached"] > 0)]
    stats = placed.groupby(["dataset", "model", "beta"], sort=False).agg(
        **{"x": ("beta_reached", "mean"), "x_sd": ("beta_reached", "std")},
        **{f"{m}_{stat}": (m, stat) for m in TRADEOFF for stat in ("mean", "std")}).reset_index()
    if stats[[f"{m}_mean" for m in TRADEOFF]].notna().to_numpy().sum() == 0:
        figure, ax = plt.subplots(figsize=(6, 3))
        _note(ax, "no runs with a beta (multivae, betavae, macridvae) have metrics yet")
        save(figure, pdf, png)
        return
    datasets, models = list(dict.fromkeys(stats["dataset"])), list(dict.fromkeys(stats["model"]))
    colours = dict(zip(models, sns.color_palette(n_colors=len(models))))
    figure, axes = plt.subplots(len(datasets), len(TRADEOFF), figsize=(4.4 * len(TRADEOFF), 3.4 * len(datasets)),
                                squeeze=False)
    for row, dataset in zip(axes, datasets):
        for ax, (metric, title) in zip(row, TRADEOFF.items()):
            for model in models:
                line = stats[(stats["dataset"] == dataset) & (stats["model"] == model)].sort_values("x")
                if line.empty:
                    continue
                ax.errorbar(line["x"], line[f"{metric}_mean"], yerr=line[f"{metric}_std"], xerr=line["x_sd"],
                            marker="o", capsize=3, color=colours[model], label=model)
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_title(f"{dataset}: {title}", fontsize=10)
            ax.set_xlabel("KL weight reached (log scale)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper right", bbox_to_anchor=(1.0, 1.0))
    left_out = len(swept) - len(placed)
    figure.suptitle("Trade-off: accuracy and disentanglement against the KL weight reached (mean ± sd over seeds)"
                    + (f"; {left_out} run(s) without a reached weight left out" if left_out else ""), y=1.02)
    figure.tight_layout()
    save(figure, pdf, png)


def metrics_by_model(runs: pd.DataFrame, dataset: str, metrics: list[str], pdf: str, png: str) -> None:
    """Every metric of one dataset, one bar per model variant (mean +- sd over seeds)."""
    frame = runs[runs["dataset"] == dataset]
    long = frame.melt(id_vars=["variant", "seed"], value_vars=metrics, var_name="metric", value_name="value")
    long["metric"] = long["metric"].map(lambda m: METRIC_TITLES.get(m.split("@")[0], m) + (
        "@" + m.split("@")[1] if "@" in m else ""))
    order = list(dict.fromkeys(long["metric"]))
    grid = sns.catplot(data=long, x="variant", y="value", col="metric", col_wrap=4, kind="bar", errorbar="sd",
                       sharey=False, height=3.0, aspect=1.3, color="steelblue", col_order=order)
    grid.set_titles("{col_name}")
    grid.set_axis_labels("", "")
    for ax in grid.axes.ravel():
        ax.tick_params(axis="x", rotation=60, labelsize=9)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    grid.figure.suptitle(f"{dataset}: every metric by model (mean ± sd over seeds; missing metrics have no bar)",
                         y=1.02)
    save(grid.figure, pdf, png)


def tuning_curves(trials: dict[str, pd.DataFrame], pdf: str, png: str) -> None:
    """Best-so-far validation score against trial number, one panel per (dataset, model), one line per
    search (beta and seed)."""
    rows = [table.assign(label=label) for label, table in trials.items()]
    if not rows:
        figure, ax = plt.subplots(figsize=(6, 3))
        _note(ax, "no run is tuned (tuning.datasets is empty)")
        save(figure, pdf, png)
        return
    long = pd.concat(rows, ignore_index=True)
    parts = long["label"].str.split("/", expand=True)
    beta = parts[2].str.removeprefix("beta_").map(lambda b: "" if b == "none" else f"β {b}, ")
    long["panel"], long["search"] = parts[0] + " / " + parts[1], beta + parts[3].str.replace("seed", "seed ")
    grid = sns.relplot(data=long, x="number", y="best_so_far", hue="search", col="panel",
                       col_wrap=min(3, long["panel"].nunique()), kind="line", drawstyle="steps-post", height=3.2,
                       aspect=1.3, facet_kws={"sharey": False})
    for ax in grid.axes.ravel():
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    grid.set_axis_labels("trial", "best validation NDCG so far")
    grid.set_titles(col_template="{col_name}")
    grid.figure.suptitle("Hyperparameter searches: best score so far", y=1.02)
    save(grid.figure, pdf, png)
