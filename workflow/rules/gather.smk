# Gather: the runs table, summaries, correlations, the reference comparison and the figures.

from disrec.analysis.correlation import EXTRA_TABLES, PARTIAL_COVARIATE, correlation_metrics


wildcard_constraints:
    table="|".join(EXTRA_TABLES),


localrules:
    runs_table,
    correlations,
    more_correlations,
    more_correlation_figures,
    controllability_figure,
    reference_comparison,
    correlation_figures,
    beta_tradeoff_figure,
    metrics_figure,
    tuning_figure,


rule runs_table:
    input:
        evaluations=run_targets(rules.evaluate.output.report),
    output:
        runs_parquet=table_path("runs.parquet"),
        runs_csv=report(table_path("runs.csv"), caption="../report/runs.rst", category="Tables"),
        summary_csv=report(table_path("summary.csv"), caption="../report/summary.rst", category="Tables"),
    log:
        log_path("runs_table"),
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/runs_table.py"


rule correlations:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        by_dataset=report(table_path("rmcorr_by_dataset.csv"), caption="../report/rmcorr.rst", category="Tables"),
        by_model=report(table_path("rmcorr_by_model.csv"), caption="../report/rmcorr.rst", category="Tables"),
    log:
        log_path("correlations"),
    conda:
        "../../envs/report.yaml"
    params:
        models=config["analysis"]["correlation_models"],
        metrics=correlation_metrics(config["analysis"], "study"),
        covariate=None,
    script:
        "../scripts/correlations.py"


rule more_correlations:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        by_dataset=report(
            table_path("rmcorr_{table}_by_dataset.csv"), caption="../report/rmcorr_more.rst", category="Tables"
        ),
        by_model=report(
            table_path("rmcorr_{table}_by_model.csv"), caption="../report/rmcorr_more.rst", category="Tables"
        ),
    log:
        log_path("correlations", "table"),
    conda:
        "../../envs/report.yaml"
    params:
        models=config["analysis"]["correlation_models"],
        metrics=lambda w: correlation_metrics(config["analysis"], w.table),
        covariate=lambda w: PARTIAL_COVARIATE if w.table == "partial" else None,
    script:
        "../scripts/correlations.py"


rule reference_comparison:
    input:
        runs=rules.runs_table.output.runs_parquet,
        reference=REFERENCE_CSV,
    output:
        comparison=report(table_path("reference_comparison.csv"), caption="../report/reference.rst", category="Tables"),
    log:
        log_path("reference_comparison"),
    conda:
        "../../envs/report.yaml"
    params:
        names={name: d["reference_name"] for name, d in config["datasets"].items() if d.get("reference_name")},
    script:
        "../scripts/reference_comparison.py"


rule correlation_figures:
    input:
        by_dataset=rules.correlations.output.by_dataset,
        by_model=rules.correlations.output.by_model,
    output:
        dataset_pdf=figure_path("rmcorr_by_dataset.pdf"),
        dataset_png=report(
            figure_path("rmcorr_by_dataset.png"), caption="../report/rmcorr_figure.rst", category="Figures"
        ),
        model_pdf=figure_path("rmcorr_by_model.pdf"),
        model_png=report(figure_path("rmcorr_by_model.png"), caption="../report/rmcorr_figure.rst", category="Figures"),
    log:
        log_path("correlation_figures"),
    conda:
        "../../envs/report.yaml"
    params:
        models=config["analysis"]["correlation_models"],
        metrics=correlation_metrics(config["analysis"], "study"),
        table="study",
    script:
        "../scripts/correlation_figures.py"


rule more_correlation_figures:
    input:
        by_dataset=rules.more_correlations.output.by_dataset,
        by_model=rules.more_correlations.output.by_model,
    output:
        dataset_pdf=figure_path("rmcorr_{table}_by_dataset.pdf"),
        dataset_png=report(
            figure_path("rmcorr_{table}_by_dataset.png"), caption="../report/rmcorr_figure.rst", category="Figures"
        ),
        model_pdf=figure_path("rmcorr_{table}_by_model.pdf"),
        model_png=report(
            figure_path("rmcorr_{table}_by_model.png"), caption="../report/rmcorr_figure.rst", category="Figures"
        ),
    log:
        log_path("correlation_figures", "table"),
    conda:
        "../../envs/report.yaml"
    params:
        models=config["analysis"]["correlation_models"],
        metrics=lambda w: correlation_metrics(config["analysis"], w.table),
        table=lambda w: w.table,
    script:
        "../scripts/correlation_figures.py"


rule controllability_figure:
    input:
        evaluations=run_targets(rules.evaluate.output.report),
    output:
        pdf=figure_path("controllability.pdf"),
        png=report(figure_path("controllability.png"), caption="../report/controllability.rst", category="Figures"),
    log:
        log_path("controllability_figure"),
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/controllability_figure.py"


rule beta_tradeoff_figure:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        pdf=figure_path("beta_tradeoff.pdf"),
        png=report(figure_path("beta_tradeoff.png"), caption="../report/beta_tradeoff.rst", category="Figures"),
    log:
        log_path("beta_tradeoff_figure"),
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/beta_tradeoff_figure.py"


rule metrics_figure:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        pdf=figure_path("metrics_{dataset}.pdf"),
        png=report(figure_path("metrics_{dataset}.png"), caption="../report/metrics.rst", category="Figures"),
    log:
        log_path("metrics_figure", "dataset"),
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/metrics_figure.py"


rule tuning_figure:
    input:
        trials=[tune_path("trials.parquet").format(**vars(run)) for run in tuned_runs()],
    output:
        pdf=figure_path("tuning_curves.pdf"),
        png=report(figure_path("tuning_curves.png"), caption="../report/tuning.rst", category="Figures"),
    log:
        log_path("tuning_figure"),
    conda:
        "../../envs/report.yaml"
    params:
        searches=[vars(run) for run in tuned_runs()],
    script:
        "../scripts/tuning_figure.py"
