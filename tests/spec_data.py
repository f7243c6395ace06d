"""The spec and the docs' field list, shared by the spec, contract and simulator tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "papi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))

# The 13 fields of the docs page's example, in its order.
DOC_FIELDS = [
    "asset",
    "totalWalletBalance",
    "crossMarginAsset",
    "crossMarginBorrowed",
    "crossMarginFree",
    "crossMarginInterest",
    "crossMarginLocked",
    "umWalletBalance",
    "umUnrealizedPNL",
    "cmWalletBalance",
    "cmUnrealizedPNL",
    "updateTime",
    "negativeBalance",
]


def resolve(node: Any) -> Any:
    """`node` with every local $ref of the spec inlined (the spec has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item) for item in node]
    return node
