"""A clone reads completely: definitions point into docs/methods.md, whose sections exist, never outside the repo."""

import re

import pytest

from conftest import REPO

TEXT_FILES = sorted([REPO / "README.md", REPO / "Snakefile", REPO / "config.yaml", *REPO.glob("config/*.yaml"),
                     *REPO.glob("src/**/*.py"), *REPO.glob("workflow/**/*.smk"), *REPO.glob("workflow/**/*.py"),
                     *REPO.glob("workflow/**/*.yaml"), *REPO.glob("workflow/**/*.rst"), *REPO.glob("docs/*.md")])
POINTER = re.compile(r"docs/methods\.md §(\d+(?:\.\d+)?)(?:-(\d+))?")


def methods_sections() -> set[str]:
    headings = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", (REPO / "docs" / "methods.md").read_text(), re.M)
    return set(headings)


@pytest.mark.parametrize("path", TEXT_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_file_points_outside_the_repository(path):
    text = path.read_text()
    assert not re.search(r"\bSPEC\b", text), path  # the outside specification, by any path


def test_every_methods_pointer_names_an_existing_section():
    sections = methods_sections()
    assert {"1", "3.1", "3.2", "10.1", "10.2", "14"} <= sections
    pointers = [(path, match) for path in TEXT_FILES for match in POINTER.finditer(path.read_text())]
    assert len(pointers) > 20
    for path, match in pointers:
        first, last = match.group(1), match.group(2)
        assert first in sections, (path.name, match.group(0))
        assert last is None or last in sections, (path.name, match.group(0))
