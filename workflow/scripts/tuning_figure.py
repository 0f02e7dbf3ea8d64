from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import draw_tuning_curves

run_step(draw_tuning_curves, snakemake.log[0], trials=list(snakemake.input.trials),
         searches=snakemake.params.searches, **dict(snakemake.output.items()))
