"""Print warner's import graph: the packages each package imports, and every import cycle between modules.

    .venv/bin/python .ci/import_graph.py [--package warner]

Imports under ``if TYPE_CHECKING:`` are left out (annotations only), function-level imports count.
Uses grimp, the graph library import-linter (``lint-imports``, the layer contract in pyproject.toml)
is built on, so both see the same graph.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

import grimp


def _top(module: str, package: str) -> str:
    """The package a module belongs to; the config package's modules stay apart (sections import ``common``,
    the root imports the sections: one package, two layers)."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "config":
        return f"config.{parts[2]}"
    return parts[1] if len(parts) > 1 else f"({package})"


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="warner")
    args = parser.parse_args()
    graph = grimp.build_graph(args.package, exclude_type_checking_imports=True)
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _top(module, args.package), _top(imported, args.package)
            if a != b:
                edges[a].add(b)
    mutual = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, set())})
    print(f"{len(graph.modules)} modules; packages and the packages they import:")
    for package in sorted(edges):
        print(f"  {package:12} -> {' '.join(sorted(edges[package]))}")
    print(f"package pairs that import each other: {len(mutual)}" + "".join(f"\n  {a} <-> {b}" for a, b in mutual))
    found = cycles(graph)
    print(f"module import cycles: {len(found)}")
    for component in sorted(found, key=len, reverse=True):
        print(f"  {len(component)} modules: {' '.join(component)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
