"""The conda environments in envs/ pin the same versions as pyproject.toml, and every rule names one."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from conftest import REPO

ENV_FILES = sorted((REPO / "envs").glob("*.yaml"))


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return dict(pin.lower().split("==") for pin in pins)


def env_pip_pins(path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pip_section = next(item["pip"] for item in spec["dependencies"] if isinstance(item, dict))
    return dict(pin.lower().split("==") for pin in pip_section)


def test_one_environment_per_rule_family():
    assert [path.stem for path in ENV_FILES] == ["data", "evaluate", "report", "train"]


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.stem)
def test_environment_pins_equal_pyproject(path):
    pins = env_pip_pins(path)
    expected = pyproject_pins()
    assert pins, f"{path.name} pins nothing"
    for package, version in pins.items():
        assert expected.get(package) == version, \
            f"{path.name}: {package}=={version}, pyproject: {expected.get(package)}"
    python = next(item for item in yaml.safe_load(path.read_text())["dependencies"] if str(item).startswith("python"))
    assert re.fullmatch(r"python=3\.(1[1-9])", python), python


def test_every_rule_has_a_conda_environment():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(REPO / "Snakefile")],
                            capture_output=True, text=True, cwd=REPO)
    output = result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition" in output, output[-3000:]
