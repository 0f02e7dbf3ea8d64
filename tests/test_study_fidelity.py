"""config/paper.yaml computes what the study's code computed: every setting disrec.study lists, once merged over
config.yaml as Snakemake merges a --configfile."""

import copy

import yaml
from snakemake.utils import update_config

from conftest import REPO
from disrec.config import validate_config
from disrec.study import STUDY_SETTINGS, config_value, departures_from_study


def resolved(*files: str) -> dict:
    merged: dict = {}
    for name in files:
        update_config(merged, yaml.safe_load((REPO / name).read_text()))
    return validate_config(copy.deepcopy(merged), source=" + ".join(files), check_folders=False)


def test_paper_config_has_every_setting_the_study_fixes():
    assert departures_from_study(resolved("config.yaml", "config/paper.yaml")) == []


def test_a_departure_is_named_with_its_source():
    paper = resolved("config.yaml", "config/paper.yaml")
    paper["training"]["patience"] = 2
    [found] = departures_from_study(paper)
    assert found.startswith("training.patience: 2 vs the study's 3") and "EarlyStopper" in found


def test_readme_fidelity_table_lists_every_setting_with_both_configs():
    """README's table: one row per setting (key, the study's value and file, config/paper.yaml, config.yaml, why the
    default study differs); 'same' exactly where a config resolves to the study's value."""
    readme = (REPO / "README.md").read_text()
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in readme[readme.index("## Fidelity"):].splitlines() if line.startswith("| `")}
    paper, default = resolved("config.yaml", "config/paper.yaml"), resolved("config.yaml")
    for setting in STUDY_SETTINGS:
        key = f"`{setting.key}`"
        assert key in rows, setting.key
        _, study, paper_cell, default_cell, why = rows[key]
        assert setting.source.split(":")[0] in study, setting.key
        concrete = setting.key.replace("*", "ml-100k")
        assert (paper_cell == "same") == (config_value(paper, concrete.replace("ml-100k", "ml1m")) == setting.value)
        assert (default_cell == "same") == (config_value(default, concrete) == setting.value), setting.key
        assert default_cell == "same" or why, f"{setting.key}: say why the default study differs"


def test_the_study_never_reached_its_multivae_betas_on_ml1m():
    """From the study's own best trials: epochs x batches of 6,040 users, annealed over 200,000 steps."""
    import math

    import pandas as pd

    from disrec.models.base import kl_schedule

    trials = pd.read_csv(REPO / "reference" / "dervishaj2025_best_trials.csv")
    multivae = trials[(trials["dataset"] == "ML1M") & (trials["model"] == "multivae")]
    assert len(multivae) == 5
    anneal = next(s.value for s in STUDY_SETTINGS if s.key == "models.multivae.kl_anneal")
    for run in multivae.itertuples():
        steps_per_epoch = math.ceil(6040 / run.batch_size)
        reached = kl_schedule(run.epochs * steps_per_epoch - 1, run.beta, anneal, steps_per_epoch)
        assert reached < 0.025 < run.beta / 6, run
