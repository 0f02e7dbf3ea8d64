from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.data import prepare_dataset

run_step(prepare_dataset, snakemake.log[0], name=snakemake.wildcards.dataset, settings=snakemake.params.settings,
         cache_dir=snakemake.params.cache_dir, **dict(snakemake.output.items()))
