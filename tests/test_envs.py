"""The conda environments in envs/ pin the same versions as pyproject.toml, every rule names one, and each
provides every package that the code its rules run imports."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

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


def scripts_by_environment() -> dict[str, set[str]]:
    """Environment name -> the workflow scripts of the rules that use it (read from the rule files)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=rule |use rule )", path.read_text()):
            env = re.search(r'conda:\s*\n\s*"\.\./\.\./envs/(\w+)\.yaml"', block)
            script = re.search(r'script:\s*\n\s*"\.\./scripts/(\w+\.py)"', block)
            if env and script:
                found.setdefault(env.group(1), set()).add(script.group(1))
    return found


def with_requirements(distributions) -> set[str]:
    """The distributions and, recursively, what they require (extras left out), from installed metadata."""
    seen: set[str] = set()
    pending = [d.lower() for d in distributions]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name.lower())
    return {name.replace("_", "-") for name in seen}


def test_every_environment_has_rules():
    assert sorted(scripts_by_environment()) == [path.stem for path in ENV_FILES]


@pytest.mark.slow
@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: p.stem)
def test_each_environment_provides_what_its_rules_import(path):
    """Under --sdm conda a rule's script runs with only its environment's packages; every third-party import
    of the disrec code it loads must come from a pinned package or one of their requirements."""
    scripts = [str(REPO / "workflow" / "scripts" / name) for name in sorted(scripts_by_environment()[path.stem])]
    probe = subprocess.run([sys.executable, str(REPO / "tests" / "import_probe.py"), *scripts],
                           capture_output=True, text=True, check=True)
    needed = {name.replace("_", "-"): modules for name, modules in json.loads(probe.stdout).items()}
    provided = with_requirements(env_pip_pins(path))
    missing = {name: modules for name, modules in needed.items() if name not in provided}
    assert not missing, f"{path.name} lacks packages that its rules' code imports: {missing}"
