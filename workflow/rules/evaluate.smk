# Evaluation: accuracy on test_out and representation metrics, one job per run.


rule evaluate:
    input:
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        train_split=rules.split.output.train,
        test_out=rules.split.output.test_out,
        weights=run_path("weights.pt"),
        training_report=run_path("training.json"),
        codes_train=run_path("codes_train.parquet"),
        codes_valid_in=run_path("codes_valid_in.parquet"),
        factors_train=rules.user_factors.output.factors_train,
        factors_valid_in=rules.user_factors.output.factors_valid_in,
        item_concepts=rules.user_factors.output.item_concepts,
    output:
        report=run_path("evaluation.json"),
    log:
        log_path("evaluate", "dataset", "model", "beta", "seed"),
    conda:
        "../../envs/evaluate.yaml"
    params:
        evaluation=canonical(evaluation_settings(config)),
    script:
        "../scripts/evaluate.py"
