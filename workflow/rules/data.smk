# Data stage: raw files -> filtered interactions -> splits -> ground-truth user factors.


rule prepare_dataset:
    output:
        interactions=dataset_path("interactions.parquet"),
        user_ids=dataset_path("user_ids.parquet"),
        item_ids=dataset_path("item_ids.parquet"),
        item_features=dataset_path("item_features.parquet"),
        provenance=dataset_path("provenance.json"),
    log:
        log_path("prepare_dataset", "dataset"),
    conda:
        "../../envs/data.yaml"
    params:
        settings=dataset_settings,
        cache_dir=config["cache_dir"],
    script:
        "../scripts/prepare_dataset.py"


rule split:
    input:
        interactions=rules.prepare_dataset.output.interactions,
    output:
        train=seed_path("train.parquet"),
        valid_in=seed_path("valid_in.parquet"),
        valid_out=seed_path("valid_out.parquet"),
        test_out=seed_path("test_out.parquet"),
    log:
        log_path("split", "dataset", "seed"),
    conda:
        "../../envs/data.yaml"
    params:
        test_fraction=config["split"]["test_fraction"],
        validation_fraction=config["split"]["validation_fraction"],
    script:
        "../scripts/split.py"


rule user_factors:
    input:
        item_features=rules.prepare_dataset.output.item_features,
        user_ids=rules.prepare_dataset.output.user_ids,
        item_ids=rules.prepare_dataset.output.item_ids,
        train=rules.split.output.train,
        valid_in=rules.split.output.valid_in,
    output:
        item_concepts=seed_path("item_concepts.parquet"),
        factors_train=seed_path("factors_train.parquet"),
        factors_valid_in=seed_path("factors_valid_in.parquet"),
        report=seed_path("factors.json"),
    log:
        log_path("user_factors", "dataset", "seed"),
    conda:
        "../../envs/data.yaml"
    params:
        loader=lambda w: config["datasets"][w.dataset]["loader"],
        concept_settings=lambda w: canonical(config["datasets"][w.dataset].get("concepts", {})),
        factor_settings=canonical(config["factors"]),
    script:
        "../scripts/user_factors.py"


localrules:
    dataset_summary,


rule dataset_summary:
    input:
        provenance=rules.prepare_dataset.output.provenance,
        factor_reports=expand(rules.user_factors.output.report, seed=SEEDS, allow_missing=True),
    output:
        summary=dataset_path("summary.json"),
    log:
        log_path("dataset_summary", "dataset"),
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/dataset_summary.py"
