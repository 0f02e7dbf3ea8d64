from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import build_correlations

run_step(build_correlations, snakemake.log[0], models=snakemake.params.models, metrics=snakemake.params.metrics,
         covariate=snakemake.params.covariate, runs_parquet=snakemake.input.runs, **dict(snakemake.output.items()))
