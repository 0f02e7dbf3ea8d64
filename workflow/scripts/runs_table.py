from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import build_runs_table

run_step(build_runs_table, snakemake.log[0], evaluations=list(snakemake.input.evaluations),
         **dict(snakemake.output.items()))
