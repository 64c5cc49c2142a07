"""YAML loading that remembers where each mapping came from, so that a bad definition is refused
with "file, line and reason" (catalog, evaluation models, measures)."""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import CatalogError


class LDict(dict):
    """A mapping that knows its file and line."""

    file: str = "?"
    line: int = 0
    key_lines: dict = {}  # noqa: RUF012 (replaced per instance by the loader)

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        return f"{self.file}:{line}"


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    loader.flatten_mapping(node)
    result = LDict()
    result.file = loader.name  # type: ignore[attr-defined]
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise CatalogError(
                f"{result.file}:{key_node.start_mark.line + 1}: 重复的键 {key!r}",
                code="duplicate_key",
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path | str, *, text: str | None = None):
    path = Path(path)
    source = path.read_text(encoding="utf-8") if text is None else text
    loader = _Loader(source)
    loader.name = path.name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise CatalogError(f"{path.name}:{line}: YAML 语法错误: {exc.problem}", code="yaml_syntax") from exc
    finally:
        loader.dispose()


def where(obj, key: str | None = None) -> str:
    return obj.where(key) if isinstance(obj, LDict) else "?"
