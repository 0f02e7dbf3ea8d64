"""Run as a script with workflow scripts as arguments: imports what they import, then prints (JSON) every
third-party distribution that the loaded disrec modules import anywhere in their source (function-level
imports included), each with the disrec modules that import it."""

import ast
import importlib
import importlib.metadata
import json
import sys
from pathlib import Path


def imported_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


for script in sys.argv[1:]:
    for name in imported_names(ast.parse(Path(script).read_text())):
        importlib.import_module(name)

owners = importlib.metadata.packages_distributions()
needed: dict[str, set[str]] = {}
for name, module in list(sys.modules.items()):
    if name.split(".")[0] == "disrec" and getattr(module, "__file__", None):
        for imported in imported_names(ast.parse(Path(module.__file__).read_text())):
            top = imported.split(".")[0]
            if top not in sys.stdlib_module_names and top not in ("disrec", "__future__"):
                for distribution in owners.get(top, [top]):
                    needed.setdefault(distribution.lower(), set()).add(name)
print(json.dumps({d: sorted(m) for d, m in sorted(needed.items())}))
