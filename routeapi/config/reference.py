"""The configuration reference, generated from the schema so it cannot drift: ``python -m routeapi.config.reference``
prints it; ``docs/configuration.md`` holds it between markers, and a test fails when it is stale."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .models import ModelConfig, ProviderConfig, RouteConfig, ServerConfig, StorageSettings

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m routeapi.config.reference) -->"
END = "<!-- END GENERATED REFERENCE -->"

_SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("providers.<name>", ProviderConfig),
    ("models.<alias>", ModelConfig),
    (
        "models.<alias>.deployments[]",
        typing.cast("type[BaseModel]", ModelConfig.model_fields["deployments"].annotation),
    ),
    ("routing", typing.cast("type[BaseModel]", RouteConfig.model_fields["routing"].annotation)),
    ("retry", typing.cast("type[BaseModel]", RouteConfig.model_fields["retry"].annotation)),
    ("timeouts", typing.cast("type[BaseModel]", RouteConfig.model_fields["timeouts"].annotation)),
    ("server", ServerConfig),
    ("server.tokens[]", typing.cast("type[BaseModel]", ServerConfig.model_fields["tokens"].annotation)),
    ("server.storage", StorageSettings),
    ("media_fetch", typing.cast("type[BaseModel]", RouteConfig.model_fields["media_fetch"].annotation)),
]


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        names = [_type_name(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(names) + (" (optional)" if type(None) in get_args(annotation) else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(get_args(annotation)[0])
    if origin in (list, dict):
        args = ", ".join(_type_name(a) for a in get_args(annotation))
        return f"{origin.__name__}[{args}]"
    if annotation is SecretStr:
        return "secret string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    if origin is not None and getattr(origin, "__name__", "") == "Callable":
        return "callable (code only)"
    simple: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
    return simple.get(annotation, repr(typing.cast("object", annotation)))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    else:
        value = field.default
    if value is PydanticUndefined or value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value!r}`" if not isinstance(value, str) else f"`{value}`"


def _section_model(model: type[BaseModel]) -> type[BaseModel]:
    # deployments / tokens are list[X]: document X
    args = get_args(model)
    inner = args[0] if args else model
    while get_origin(inner) is typing.Annotated:
        inner = get_args(inner)[0]
    return inner


def render() -> str:
    lines = [BEGIN, ""]
    for title, model in _SECTIONS:
        section = _section_model(model)
        lines += [f"### `{title}`", "", " ".join((section.__doc__ or "").split()), ""]
        lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in section.model_fields.items():
            annotation = field.annotation
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {_type_name(annotation)} | {_default(field)} | {meaning} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(document: str) -> str:
    """``document`` with its generated part replaced by the current one."""
    start, end = document.index(BEGIN), document.index(END) + len(END) + 1
    return document[:start] + render() + document[end:]


if __name__ == "__main__":
    print(render(), end="")
