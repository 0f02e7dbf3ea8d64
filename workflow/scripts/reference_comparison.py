from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.gather import build_reference_comparison

run_step(build_reference_comparison, snakemake.log[0], runs_parquet=snakemake.input.runs,
         reference_csv=snakemake.input.reference, names=snakemake.params.names, output=snakemake.output.comparison)
