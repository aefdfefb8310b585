"""Reading YAML settings files: safe types only, and no key written twice in one mapping."""

from __future__ import annotations

from typing import Any

import yaml

_MERGE = "tag:yaml.org,2002:merge"


class DuplicateKeys(yaml.YAMLError):
    """A mapping names a key twice (YAML would keep the last silently).

    ``duplicates`` lists (dotted key, first line, repeated line), lines counted from 1.
    """

    def __init__(self, duplicates: list[tuple[str, int, int]]) -> None:
        self.duplicates = duplicates
        super().__init__(
            "; ".join(f"{key} on lines {first} and {again}" for key, first, again in duplicates)
        )


def parse_yaml(text: str) -> Any:
    """The document in ``text`` (as ``yaml.safe_load``); :class:`DuplicateKeys` if any."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = _duplicates(node, ())
        if duplicates:
            raise DuplicateKeys(duplicates)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _duplicates(node: yaml.Node, path: tuple[str, ...]) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicates(item, (*path, str(index)))
    elif isinstance(node, yaml.MappingNode):
        first_line: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE:
                line, ident = key.start_mark.line + 1, (key.tag, key.value)
                if ident in first_line:
                    found.append((".".join((*path, key.value)), first_line[ident], line))
                first_line.setdefault(ident, line)
                found += _duplicates(value, (*path, str(key.value)))
            else:
                found += _duplicates(value, path)
    return found
