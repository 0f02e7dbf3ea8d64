# Training: one job per (dataset, model, beta, seed).


rule train:
    input:
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        train_split=rules.split.output.train,
        valid_in=rules.split.output.valid_in,
        valid_out=rules.split.output.valid_out,
    output:
        weights=run_path("weights.pt"),
        codes_train=run_path("codes_train.parquet"),
        codes_valid_in=run_path("codes_valid_in.parquet"),
        report=run_path("training.json"),
    params:
        settings=lambda w: model_settings(config, w.dataset, w.model),
        training=lambda w: None if w.model in CLOSED_FORM_MODELS else canonical(config["training"]),
    threads: 1
    resources:
        gpu=lambda w: 0 if w.model in CLOSED_FORM_MODELS else 1,
    log:
        log_path("train", "dataset", "model", "beta", "seed"),
    script:
        "../scripts/train.py"
