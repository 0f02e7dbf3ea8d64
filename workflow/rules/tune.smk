# Hyperparameter search: one job per tuned (dataset, model, beta, seed); its best settings feed `train`.


rule tune:
    input:
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        valid_in=rules.split.output.valid_in,
        valid_out=rules.split.output.valid_out,
    output:
        trials=tune_path("trials.parquet"),
        best=tune_path("best.json"),
    log:
        log_path("tune", "dataset", "model", "beta", "seed"),
    wildcard_constraints:
        model="|".join(m for m in MODEL_NAMES if m != "toppop"),
    conda:
        "../../envs/train.yaml"
    params:
        settings=lambda w: model_settings(config, w.dataset, w.model),
        training=canonical(config["training"]),
        tuning=lambda w: tuning_settings(config, w.model),
    script:
        "../scripts/tune.py"
