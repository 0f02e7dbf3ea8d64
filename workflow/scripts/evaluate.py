from disrec.jobs import run_step, step_imports

with step_imports():
    from disrec.steps.evaluate import evaluate_run

w = snakemake.wildcards
run_step(evaluate_run, snakemake.log[0], dataset=w.dataset, model_name=w.model, evaluation=snakemake.params.evaluation,
         seed=int(w.seed), threads=snakemake.threads, **dict(snakemake.input.items()),
         **dict(snakemake.output.items()))
