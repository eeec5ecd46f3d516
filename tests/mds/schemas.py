"""Validate against the official MDS 2.0 OpenAPI files and GBFS 3.0 JSON Schemas.

The files are read from settings.SHARED_DIR (shared/reference/schemas), never from the network.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def schema_root() -> Path:
    return Path(settings.SHARED_DIR) / "reference" / "schemas"


def _repair(node: Any) -> Any:
    """Two upstream quirks, repaired on load (nothing else is changed):

    - modes/*/event.yaml write `contains: [a, b]` (a list, which JSON Schema forbids) meaning
      "contains one of a, b"; read as `contains: {enum: [a, b]}`.
    - The `oneOf` over the four modes is ambiguous (a micromobility event is also a valid
      car-share event, so `oneOf` always fails); we are a micromobility agency, so the
      micromobility branch is the one that applies.
    """
    if isinstance(node, dict):
        one_of = node.get("oneOf")
        if isinstance(one_of, list) and any(
            "/modes/micromobility/" in str(b.get("$ref", "")) for b in one_of if isinstance(b, dict)
        ):
            node = dict(node)
            node["oneOf"] = [b for b in one_of if "/modes/micromobility/" in str(b.get("$ref", ""))]
        return {
            k: ({"enum": v} if k == "contains" and isinstance(v, list) else _repair(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_repair(v) for v in node]
    return node


def _retrieve(uri: str) -> Resource:
    path = Path(uri.removeprefix("file://"))
    return Resource.from_contents(
        _repair(yaml.safe_load(path.read_text(encoding="utf-8"))),
        default_specification=DRAFT202012,
    )


@lru_cache(maxsize=64)
def mds_validator(file: str, pointer: str) -> Draft202012Validator:
    """`file` relative to mds-2.0/, `pointer` a JSON pointer inside it ('' for the whole file)."""
    uri = f"file://{schema_root() / 'mds-2.0' / file}"
    return Draft202012Validator(
        {"$ref": f"{uri}#{pointer}"},
        registry=Registry(retrieve=_retrieve),  # type: ignore[call-arg]
        format_checker=FormatChecker(),
    )


def _escape(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def mds_response_validator(api: str, path: str, method: str, status: int) -> Draft202012Validator:
    pointer = f"/paths/{_escape(path)}/{method}/responses/{status}/content/application~1json/schema"
    return mds_validator(f"reference/{api}.yaml", pointer)


def mds_request_validator(api: str, path: str, method: str) -> Draft202012Validator:
    pointer = f"/paths/{_escape(path)}/{method}/requestBody/content/application~1json/schema"
    return mds_validator(f"reference/{api}.yaml", pointer)


def assert_valid(validator: Any, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:10])


@lru_cache(maxsize=16)
def gbfs_validator(feed: str) -> Draft7Validator:
    schema = json.loads((schema_root() / "gbfs-3.0" / f"{feed}.json").read_text(encoding="utf-8"))
    cls = Draft202012Validator if "2020-12" in schema.get("$schema", "") else Draft7Validator
    return cls(schema, format_checker=FormatChecker())  # type: ignore[return-value]
