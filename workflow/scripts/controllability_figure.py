from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import draw_controllability

run_step(draw_controllability, snakemake.log[0], evaluations=list(snakemake.input.evaluations),
         **dict(snakemake.output.items()))
