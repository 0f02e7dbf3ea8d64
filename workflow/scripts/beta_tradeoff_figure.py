from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import draw_beta_tradeoff

run_step(draw_beta_tradeoff, snakemake.log[0], runs_parquet=snakemake.input.runs, **dict(snakemake.output.items()))
