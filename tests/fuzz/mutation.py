"""Malformed input that goes deep: valid wire payloads with a few parts replaced by junk, and JSON objects keyed by
the field names a codec knows (read from its source), so the fuzz reaches past the first type check."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import pkgutil
import re
import sys
from functools import cache
from types import ModuleType
from typing import Any

from hypothesis import strategies as st

from .strategies import json_values

Path = tuple[Any, ...]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,40}")


@cache
def vocabulary(module: ModuleType) -> tuple[str, ...]:
    """The identifier-like string constants of a codec module: its wire field names and enum values."""
    found = {
        node.value
        for source in _codec_sources(module)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _IDENTIFIER.fullmatch(node.value)
    }
    return tuple(sorted(found))


def _codec_sources(module: ModuleType) -> list[str]:
    """The source of a codec module (``routeapi.protocols.<name>``), or of every module of its package when the
    codec is a package (``module`` is then one of its modules, ``routeapi.protocols.<name>.codec``)."""
    package_name = module.__package__ or ""
    if package_name.count(".") < 2:
        return [inspect.getsource(module)]
    package = sys.modules[package_name]
    names = [f"{package_name}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
    return [inspect.getsource(package), *(inspect.getsource(importlib.import_module(name)) for name in names)]


def keyed_junk(words: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """JSON values whose object keys and many strings are the codec's own words."""
    word = st.sampled_from(words)
    leaf = st.one_of(json_values, word, st.integers(-2, 3), st.just(""))
    return st.recursive(
        leaf,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(word, children, max_size=4),
        max_leaves=10,
    )


def _paths(value: Any, prefix: Path = ()) -> list[Path]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType]
            paths += _paths(item, (*prefix, index))
    return paths


def _replace(root: Any, path: Path, new: Any, *, delete: bool = False) -> Any:
    if not path:
        return new
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return root


@st.composite
def mutated(draw: st.DrawFn, valid: Any, junk: st.SearchStrategy[Any]) -> Any:
    """``valid`` (not changed) with one to three nodes replaced by ``junk``, deleted, or wrapped in a list."""
    value = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(value)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "wrap"]))
        if action == "delete" and path:
            value = _replace(value, path, None, delete=True)
        elif action == "wrap":
            node = value
            for step in path:
                node = node[step]
            value = _replace(value, path, [node])
        else:
            value = _replace(value, path, draw(junk))
    return value
