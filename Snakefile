# The study pipeline. Run `snakemake --cores 8`; see README.md.
from disrec.config import validate_config

configfile: "config.yaml"


validate_config(config, source=", ".join(map(str, workflow.configfiles)) or "config")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/gather.smk"


rule all:
    default_target: True
    input:
        expand(rules.dataset_summary.output.summary, dataset=DATASETS),
        rules.runs_table.output,
        rules.correlations.output,
        rules.reference_comparison.output,
        rules.correlation_figures.output,
        rules.beta_tradeoff_figure.output,
        expand(rules.metrics_figure.output, dataset=DATASETS),
