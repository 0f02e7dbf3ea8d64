from disrec.logs import run_step
from disrec.steps.gather import draw_tuning_curves

run_step(draw_tuning_curves, snakemake.log[0], trials=list(snakemake.input.trials), **dict(snakemake.output.items()))
