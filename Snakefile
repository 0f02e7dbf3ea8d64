# The study pipeline. Run `snakemake --cores all`; see README.md.
import os

from disrec.cluster import slurm_nodes, unschedulable
from disrec.config import validate_config
from disrec.datasets import missing_raw_files
from disrec.errors import ClusterError, DataFormatError, DataSourceError
from disrec.steps.data import user_data_problems
from snakemake.utils import min_version

min_version("9.27")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


validate_config(config, source=", ".join(map(str, workflow.configfiles)) or "config")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/tune.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/gather.smk"


# Raw files that are neither present nor downloadable, and own-data files that cannot be read or give
# fewer than two usable concepts, stop the run here, before any job.
is_prepared = lambda name: os.path.exists(prepared_marker(name))
missing = missing_raw_files(config, is_prepared)
if missing:
    raise DataSourceError("raw data missing, nothing was run:\n  - " + "\n  - ".join(missing))
invalid = user_data_problems(config, is_prepared)
if invalid:
    raise DataFormatError("raw data invalid, nothing was run:\n  - " + "\n  - ".join(invalid))


rule all:
    default_target: True
    input:
        expand(rules.dataset_summary.output.summary, dataset=DATASETS),
        rules.runs_table.output,
        rules.correlations.output,
        rules.reference_comparison.output,
        rules.correlation_figures.output,
        expand(rules.more_correlations.output, table=EXTRA_TABLES),
        expand(rules.more_correlation_figures.output, table=EXTRA_TABLES),
        rules.controllability_figure.output,
        rules.beta_tradeoff_figure.output,
        expand(rules.metrics_figure.output, dataset=DATASETS),
        rules.tuning_figure.output if tuned_runs() else [],


# SLURM leaves a job that no node can hold pending for ever; say so before submitting anything (the executor
# is known only once the workflow starts, not while this file is read).
onstart:
    if workflow.is_main_process and workflow.non_local_exec and (nodes := slurm_nodes()):
        unrunnable = unschedulable(cluster_requests(), nodes)
        if unrunnable:
            raise ClusterError(
                "jobs this cluster could never start, nothing was submitted:\n  - " + "\n  - ".join(unrunnable)
            )
