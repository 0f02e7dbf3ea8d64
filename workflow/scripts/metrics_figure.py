from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import draw_metrics_by_model

run_step(draw_metrics_by_model, snakemake.log[0], runs_parquet=snakemake.input.runs,
         dataset=snakemake.wildcards.dataset, **dict(snakemake.output.items()))
