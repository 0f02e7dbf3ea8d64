# The study pipeline. Run `snakemake --cores 8`; see README.md.
from disrec.config import validate_config

configfile: "config.yaml"


validate_config(config, source=", ".join(map(str, workflow.configfiles)) or "config")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    default_target: True
    input:
        expand(rules.dataset_summary.output.summary, dataset=DATASETS),
        run_targets(rules.evaluate.output.report),
