from disrec.grid import parse_beta
from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.train import train_run

w = snakemake.wildcards
inputs = dict(snakemake.input.items())
inputs["tuned"] = inputs["tuned"] or None  # an empty input list for runs that are not tuned
run_step(train_run, snakemake.log[0], dataset=w.dataset, model_name=w.model, settings=snakemake.params.settings,
         training=snakemake.params.training, beta=parse_beta(w.beta), seed=int(w.seed), threads=snakemake.threads,
         **inputs, **dict(snakemake.output.items()))
