from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.data import summarise_dataset

run_step(summarise_dataset, snakemake.log[0], provenance=snakemake.input.provenance,
         factor_reports=list(snakemake.input.factor_reports), summary=snakemake.output.summary)
