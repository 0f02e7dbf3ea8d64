# Training: one job per (dataset, model, beta, seed). Gradient-trained models and closed-form ones are two
# rules so that a cluster profile can send only the former to GPU nodes (see slurm/config.yaml).


rule train:
    input:
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        train_split=rules.split.output.train,
        valid_in=rules.split.output.valid_in,
        valid_out=rules.split.output.valid_out,
        tuned=tuned_settings,
    output:
        weights=run_path("weights.pt"),
        codes_train=run_path("codes_train.parquet"),
        codes_valid_in=run_path("codes_valid_in.parquet"),
        report=run_path("training.json"),
    log:
        log_path("train", "dataset", "model", "beta", "seed"),
    wildcard_constraints:
        model="|".join(GRADIENT_MODELS),
    conda:
        "../../envs/train.yaml"
    params:
        settings=lambda w: model_settings(config, w.dataset, w.model),
        training=canonical(config["training"]),
    script:
        "../scripts/train.py"


use rule train as train_closed_form with:
    log:
        log_path("train_closed_form", "dataset", "model", "beta", "seed"),
    wildcard_constraints:
        model="|".join(CLOSED_FORM_MODELS),
    params:
        settings=lambda w: model_settings(config, w.dataset, w.model),
        training=None,
