from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.data import build_user_factors

run_step(build_user_factors, snakemake.log[0], name=snakemake.wildcards.dataset, loader=snakemake.params.loader,
         concept_settings=snakemake.params.concept_settings, factor_settings=snakemake.params.factor_settings,
         seed=int(snakemake.wildcards.seed), **dict(snakemake.input.items()), **dict(snakemake.output.items()))
