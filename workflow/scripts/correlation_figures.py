from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import draw_correlation_figures

run_step(draw_correlation_figures, snakemake.log[0], models=snakemake.params.models, metrics=snakemake.params.metrics,
         table=snakemake.params.table, **dict(snakemake.input.items()), **dict(snakemake.output.items()))
