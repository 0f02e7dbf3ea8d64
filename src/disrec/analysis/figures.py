"""The study's figures, each saved as PDF (for the paper) and PNG (for a quick look).

- correlation heatmaps: one panel per group (dataset or model variant), lower
  triangle, repeated-measures r printed with * where p < 0.05;
- the beta trade-off: NDCG@10, disentanglement and SHAP-global against beta,
  mean +- sd over seeds, per dataset and KL model;
- per dataset, every metric by model variant (mean +- sd over seeds), with each
  representation metric's chance level (its permutation null) marked;
- controllability traversals: per dataset and model variant, the run of the
  median seed, concept shares of the top K against the step.
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

from disrec.analysis.runs_table import metric_label, variant_label  # noqa: E402
from disrec.grid import MODEL_NAMES, NO_BETA  # noqa: E402
from disrec.metrics import split_chance_name  # noqa: E402
from disrec.storage import atomic_path  # noqa: E402

TRADEOFF = {"ndcg@10": "NDCG@10", "disentanglement": "Disentanglement (D)", "shap": "SHAP-global"}
METRIC_TITLES = {"ndcg": "NDCG", "recall": "Recall", "mrr": "MRR", "coverage": "Coverage",
                 "disentanglement": "Disentanglement (D)", "completeness": "Completeness (C)",
                 "informativeness": "Informativeness (I)", "lime": "LIME-global", "shap": "SHAP-global",
                 "mig": "MIG", "sap": "SAP", "modularity": "Modularity", "explicitness": "Explicitness (DCI-ES)",
                 "controllability": "Controllability", "controllability_users_changed": "Users whose top K moves",
                 "controllability_monotone": "Factors with a monotone response"}
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


def correlation_heatmaps(table: pd.DataFrame, group_by: str, metrics: list[str], title: str, pdf: str,
                         png: str) -> None:
    """One lower-triangle heatmap of r per group in ``table`` (an rm_corr table of the pairs of ``metrics``)."""
    labels = [metric_label(m) for m in metrics]
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
            reached = sorted(stats.loc[stats["dataset"] == dataset, "x"].round(4).unique())
            ax.set_xticks(reached, [f"{x:.3g}" for x in reached])  # the weights the runs sit at
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_title(f"{dataset}: {title}", fontsize=10)
            ax.set_xlabel("KL weight reached (log scale)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5))  # outside: no panel hidden
    left_out = len(swept) - len(placed)
    figure.suptitle("Trade-off: accuracy and disentanglement against the KL weight reached (mean ± sd over seeds)"
                    + (f"; {left_out} run(s) without a reached weight left out" if left_out else ""), y=1.02)
    figure.tight_layout()
    save(figure, pdf, png)


def metrics_by_model(runs: pd.DataFrame, dataset: str, metrics: list[str], pdf: str, png: str) -> None:
    """Every metric of one dataset, one bar per model variant (mean +- sd over seeds); a representation metric's
    null (``<metric>_null``, mean over seeds) is a black tick on its bar. Chance forms get no panel of their own."""
    frame = runs[runs["dataset"] == dataset]
    shown = [m for m in metrics if split_chance_name(m)[1] is None]
    titles = {m: METRIC_TITLES.get(m.split("@")[0], m) + ("@" + m.split("@")[1] if "@" in m else "") for m in shown}
    long = frame.melt(id_vars=["variant", "seed"], value_vars=shown, var_name="metric", value_name="value")
    long["metric"] = long["metric"].map(titles)
    order = [titles[m] for m in shown]
    variants = list(dict.fromkeys(frame["variant"]))
    grid = sns.catplot(data=long, x="variant", y="value", col="metric", col_wrap=4, kind="bar", errorbar="sd",
                       sharey=False, height=3.0, aspect=1.3, color="steelblue", col_order=order, order=variants)
    grid.set_titles("{col_name}")
    grid.set_axis_labels("", "")
    for metric, ax in zip(shown, grid.axes.ravel()):
        if f"{metric}_null" in frame:
            null = frame.groupby("variant", sort=False)[f"{metric}_null"].mean()
            positions = [i for i, v in enumerate(variants) if pd.notna(null.get(v))]
            ax.scatter(positions, [null[variants[i]] for i in positions], marker="_", s=400, color="black",
                       linewidths=2, zorder=5, label="chance (permutation null)")
        ax.tick_params(axis="x", rotation=60, labelsize=9)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    grid.figure.suptitle(f"{dataset}: every metric by model (mean ± sd over seeds; black tick: the metric's chance "
                         "level; missing metrics have no bar)", y=1.02)
    save(grid.figure, pdf, png)


def pick_traversals(evaluations: list[dict]) -> list[dict]:
    """Per (dataset, model variant): the run of the median seed by controllability (the lower median for an even
    count; ties by seed) and, in it, the factor of median controllability, as the figure draws them."""
    runs: dict[tuple, list] = {}
    for result in evaluations:
        value = result["metrics"].get("controllability")
        if value is None or not result.get("controllability"):
            continue
        key = (result["dataset"], variant_label(result["model"], result["beta"], result["beta_tuned"]))
        runs.setdefault(key, []).append((value, result["seed"], result))
    picked = []
    for (dataset, variant), candidates in runs.items():
        candidates.sort(key=lambda c: (c[0], c[1]))
        _, seed, result = candidates[(len(candidates) - 1) // 2]
        traversal = result["controllability"]
        factors = sorted(traversal["per_factor"], key=lambda f: (traversal["per_factor"][f], f))
        factor = factors[(len(factors) - 1) // 2]
        picked.append({"dataset": dataset, "variant": variant, "model": result["model"], "seed": seed,
                       "factor": factor, "value": traversal["per_factor"][factor], "steps": traversal["steps"],
                       "shares": traversal["shares"][factor], "k": result["evaluation"]["controllability"]["k"]})
    order = {name: i for i, name in enumerate(MODEL_NAMES)}
    return sorted(picked, key=lambda p: (p["dataset"], order[p["model"]], p["variant"]))


def controllability_traversals(evaluations: list[dict], pdf: str, png: str) -> None:
    """Concept shares of the top K against the step, one panel per dataset (row) and model variant (column):
    the traversed concept in red, the others in grey."""
    picked = pick_traversals(evaluations)
    if not picked:
        figure, ax = plt.subplots(figsize=(6, 3))
        _note(ax, "no run has controllability (it needs a model that decodes its code)")
        save(figure, pdf, png)
        return
    datasets = list(dict.fromkeys(p["dataset"] for p in picked))
    variants = list(dict.fromkeys(p["variant"] for p in picked))
    figure, axes = plt.subplots(len(datasets), len(variants), figsize=(3.4 * len(variants), 3.1 * len(datasets)),
                                squeeze=False)
    for ax in axes.ravel():
        ax.set_visible(False)
    for p in picked:
        ax = axes[datasets.index(p["dataset"]), variants.index(p["variant"])]
        ax.set_visible(True)
        for concept, shares in p["shares"].items():
            own = concept == p["factor"]
            ax.plot(p["steps"], shares, color="crimson" if own else "0.65", lw=2.4 if own else 0.9,
                    marker="o" if own else None, zorder=3 if own else 2)
        ax.axvline(0, color="0.3", lw=0.6, ls=":")
        ax.set_title(f"{p['dataset']} / {p['variant']} (seed {p['seed']})\n{p['factor']}: "
                     f"controllability {p['value']:+.3f}", fontsize=9)
        ax.set_xlabel("step (sd of the dimension)", fontsize=9)
        ax.set_ylabel(f"concept share of the top {p['k']}", fontsize=9)
    figure.suptitle("Traversals of the code dimension most important for a concept (red; other concepts grey); "
                    "per model the run of the median seed and its factor of median controllability", y=1.0)
    figure.tight_layout()
    save(figure, pdf, png)


def tuning_curves(trials: list[tuple[dict[str, str], pd.DataFrame]], pdf: str, png: str) -> None:
    """Best-so-far validation score against trial number, one panel per (dataset, model), one line per
    search (beta and seed); ``trials`` pairs each search's dataset, model, beta and seed with its trials."""
    rows = [table.assign(panel=f"{s['dataset']} / {s['model']}",
                         search=("" if s["beta"] == NO_BETA else f"β {s['beta']}, ") + f"seed {s['seed']}")
            for s, table in trials]
    if not rows:
        figure, ax = plt.subplots(figsize=(6, 3))
        _note(ax, "no run is tuned (tuning.datasets is empty)")
        save(figure, pdf, png)
        return
    long = pd.concat(rows, ignore_index=True)
    grid = sns.relplot(data=long, x="number", y="best_so_far", hue="search", col="panel",
                       col_wrap=min(3, long["panel"].nunique()), kind="line", drawstyle="steps-post", height=3.2,
                       aspect=1.3, facet_kws={"sharey": False})
    for ax in grid.axes.ravel():
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    grid.set_axis_labels("trial", "best validation NDCG so far")
    grid.set_titles(col_template="{col_name}")
    grid.figure.suptitle("Hyperparameter searches: best score so far", y=1.02)
    save(grid.figure, pdf, png)
