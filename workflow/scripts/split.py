from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.data import split_dataset

run_step(split_dataset, snakemake.log[0], interactions=snakemake.input.interactions,
         test_fraction=snakemake.params.test_fraction, validation_fraction=snakemake.params.validation_fraction,
         seed=int(snakemake.wildcards.seed), outputs=dict(snakemake.output.items()))
