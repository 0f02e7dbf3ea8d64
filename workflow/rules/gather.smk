# Gather: the runs table, summaries, correlations, the reference comparison and the figures.

from disrec.analysis.correlation import EXTRA_TABLES, PARTIAL_COVARIATE, correlation_metrics

TABLES = f"{RESULTS}/tables"
FIGURES = f"{RESULTS}/figures"
REFERENCE_CSV = config["reference_csv"] or f"{workflow.basedir}/reference/dervishaj2025_released_runs.csv"


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
        runs_parquet=f"{TABLES}/runs.parquet",
        runs_csv=report(f"{TABLES}/runs.csv", caption="../report/runs.rst", category="Tables"),
        summary_csv=report(f"{TABLES}/summary.csv", caption="../report/summary.rst", category="Tables"),
    log:
        f"{LOGS}/runs_table.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/runs_table.py"


rule correlations:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        by_dataset=report(f"{TABLES}/rmcorr_by_dataset.csv", caption="../report/rmcorr.rst", category="Tables"),
        by_model=report(f"{TABLES}/rmcorr_by_model.csv", caption="../report/rmcorr.rst", category="Tables"),
    log:
        f"{LOGS}/correlations.log",
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
            f"{TABLES}/rmcorr_{{table}}_by_dataset.csv", caption="../report/rmcorr_more.rst", category="Tables"
        ),
        by_model=report(
            f"{TABLES}/rmcorr_{{table}}_by_model.csv", caption="../report/rmcorr_more.rst", category="Tables"
        ),
    log:
        f"{LOGS}/correlations_{{table}}.log",
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
        comparison=report(f"{TABLES}/reference_comparison.csv", caption="../report/reference.rst", category="Tables"),
    log:
        f"{LOGS}/reference_comparison.log",
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
        dataset_pdf=f"{FIGURES}/rmcorr_by_dataset.pdf",
        dataset_png=report(
            f"{FIGURES}/rmcorr_by_dataset.png", caption="../report/rmcorr_figure.rst", category="Figures"
        ),
        model_pdf=f"{FIGURES}/rmcorr_by_model.pdf",
        model_png=report(f"{FIGURES}/rmcorr_by_model.png", caption="../report/rmcorr_figure.rst", category="Figures"),
    log:
        f"{LOGS}/correlation_figures.log",
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
        dataset_pdf=f"{FIGURES}/rmcorr_{{table}}_by_dataset.pdf",
        dataset_png=report(
            f"{FIGURES}/rmcorr_{{table}}_by_dataset.png", caption="../report/rmcorr_figure.rst", category="Figures"
        ),
        model_pdf=f"{FIGURES}/rmcorr_{{table}}_by_model.pdf",
        model_png=report(
            f"{FIGURES}/rmcorr_{{table}}_by_model.png", caption="../report/rmcorr_figure.rst", category="Figures"
        ),
    log:
        f"{LOGS}/correlation_figures_{{table}}.log",
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
        pdf=f"{FIGURES}/controllability.pdf",
        png=report(f"{FIGURES}/controllability.png", caption="../report/controllability.rst", category="Figures"),
    log:
        f"{LOGS}/controllability_figure.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/controllability_figure.py"


rule beta_tradeoff_figure:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        pdf=f"{FIGURES}/beta_tradeoff.pdf",
        png=report(f"{FIGURES}/beta_tradeoff.png", caption="../report/beta_tradeoff.rst", category="Figures"),
    log:
        f"{LOGS}/beta_tradeoff_figure.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/beta_tradeoff_figure.py"


rule metrics_figure:
    input:
        runs=rules.runs_table.output.runs_parquet,
    output:
        pdf=f"{FIGURES}/metrics_{{dataset}}.pdf",
        png=report(f"{FIGURES}/metrics_{{dataset}}.png", caption="../report/metrics.rst", category="Figures"),
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
        pdf=f"{FIGURES}/tuning_curves.pdf",
        png=report(f"{FIGURES}/tuning_curves.png", caption="../report/tuning.rst", category="Figures"),
    log:
        f"{LOGS}/tuning_figure.log",
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/tuning_figure.py"
