"""Reading sfenv.yml's YAML nodes into values while remembering their lines, so every
mistake is reported as `file:line: message`. Shared by the loader and the parsers of the
optional blocks (notify, monitor, adoption)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sfenv.errors import ConfigError


class YamlReader:
    """Turns YAML nodes into Python values while remembering where they came from."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, node: yaml.Node | None, message: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else 1
        return ConfigError(f"{self.file}:{line}: {message}")

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.fail(key_node, f"{what}: keys must be names")
            if key in out:
                raise self.fail(key_node, f"{what}: '{key}' is given twice")
            out[key] = (key_node, value_node)
        return out

    def value(self, node: yaml.Node) -> Any:
        return yaml.SafeLoader(  # constructing from a composed node keeps YAML's typing rules
            ""
        ).construct_object(node, deep=True)

    def string(self, node: yaml.Node, what: str) -> str:
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(node, f"{what} must be a string")
        return str(value)

    def boolean(self, node: yaml.Node, what: str) -> bool:
        value = self.value(node)
        if not isinstance(value, bool):
            raise self.fail(node, f"{what} must be true or false")
        return value

    def string_list(self, node: yaml.Node, what: str) -> list[str]:
        if isinstance(node, yaml.ScalarNode):
            return [self.string(node, what)]
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return [self.string(item, f"{what} item") for item in node.value]
