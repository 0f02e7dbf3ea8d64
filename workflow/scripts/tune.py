from disrec.grid import parse_beta
from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.tune import tune_run

w = snakemake.wildcards
run_step(tune_run, snakemake.log[0], dataset=w.dataset, model_name=w.model, settings=snakemake.params.settings,
         training=snakemake.params.training, tuning=snakemake.params.tuning, beta=parse_beta(w.beta),
         seed=int(w.seed), threads=snakemake.threads, **dict(snakemake.input.items()),
         **dict(snakemake.output.items()))
