# Evaluation: accuracy on test_out and representation metrics, one job per run.


rule evaluate:
    input:
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        train_split=rules.split.output.train,
        test_out=rules.split.output.test_out,
        weights=rules.train.output.weights,
        training_report=rules.train.output.report,
        codes_train=rules.train.output.codes_train,
        codes_valid_in=rules.train.output.codes_valid_in,
        factors_train=rules.user_factors.output.factors_train,
        factors_valid_in=rules.user_factors.output.factors_valid_in,
    output:
        report=run_path("evaluation.json"),
    params:
        settings=lambda w: model_settings(config, w.dataset, w.model),
        evaluation=canonical(config["evaluation"]),
    threads: 1
    log:
        log_path("evaluate", "dataset", "model", "beta", "seed"),
    script:
        "../scripts/evaluate.py"
