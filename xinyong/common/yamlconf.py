"""YAML loading that remembers where each mapping came from, so that a bad definition is refused
with "file, line and reason" (catalog, evaluation models, measures)."""

from __future__ import annotations

import re
import time
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


class LList(list):
    """A sequence that knows its file, its line and the line of each entry."""

    file: str = "?"
    line: int = 0
    item_lines: list = []  # noqa: RUF012 (replaced per instance by the loader)

    def where(self, index: int | None = None) -> str:
        line = self.item_lines[index] if index is not None and 0 <= index < len(self.item_lines) else self.line
        return f"{self.file}:{line}"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when present
    def construct_yaml_timestamp(self, node):
        # a date that does not exist (2029-02-30) raised a bare ValueError, with no file or line
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(None, None, f"日期 {node.value} 不存在（{exc}）", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


# Booleans as YAML 1.2 has them: only true/false. Under YAML 1.1 rules `off`, `on`, `yes` and `no`
# are booleans too, which silently turned the calendar's `off:` key into False.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LDict:
    # A key written twice in one mapping is refused. Keys brought in by a merge (`<<: *anchor`)
    # may be overridden by a key written in the mapping itself, as YAML intends.
    explicit = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE_TAG)
    loader.flatten_mapping(node)
    merged = len(node.value) - explicit
    result = LDict()
    result.file = loader.name  # type: ignore[attr-defined]
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    written: set = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise CatalogError(f"{result.file}:{line}: 映射的键不能是列表或映射", code="yaml_syntax") from None
        if index >= merged:
            if key in written:
                raise CatalogError(
                    f"{result.file}:{line}: 重复的键 {key!r}（第{result.key_lines[key]}行已出现）",
                    code="duplicate_key",
                )
            written.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.file = loader.name  # type: ignore[attr-defined]
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path | str, *, text: str | None = None, name: str | None = None):
    """Parse one YAML file. Every mapping in the result is an LDict that knows its file and line.

    `name` is how the file is called in messages (default: its file name; the catalog passes the
    path relative to its directory, e.g. "items/sectors.yaml"). Any problem is a CatalogError whose
    message starts with "file:line: ".
    """
    path = Path(path)
    label = name or path.name
    if text is None:
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CatalogError(f"{label}:0: 文件不存在", code="missing_file") from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise CatalogError(f"{label}:{line}: 文件不是 UTF-8 编码", code="yaml_syntax") from None
    else:
        source = text
    loader = _Loader(source)
    loader.name = label
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise CatalogError(f"{label}:{line}: YAML 语法错误: {exc.problem}", code="yaml_syntax") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{label}:0: YAML 语法错误: {exc}", code="yaml_syntax") from exc
    finally:
        loader.dispose()


def where(obj, key=None) -> str:
    """"file:line" of a loaded mapping (or of one of its keys) or sequence (or one of its entries)."""
    return obj.where(key) if isinstance(obj, (LDict, LList)) else "?"


def spec_text(spec, key: str, what: str, *, required: bool = True, here: str | None = None) -> str:
    """The text at `key` of a loaded mapping, stripped; "" when it is absent and not `required`.
    Refused (CatalogError, file:line) when required and absent — at `here`, by default the
    mapping's own place — or when it is not text (at the key's line)."""
    value = spec.get(key)
    if value is None or value == "":
        if required:
            raise CatalogError(f"{here or where(spec)}: {what}缺少 {key}")
        return ""
    if not isinstance(value, str):
        raise CatalogError(f"{where(spec, key)}: {what}的 {key} 应为文字，而不是 {value!r}")
    return value.strip()


def spec_keys(spec, allowed: set[str], what: str) -> None:
    """Refuse (CatalogError, file:line) what is not a mapping, or a mapping with a key outside
    `allowed` (at the first unknown key's line, with the keys that are allowed)."""
    if not isinstance(spec, dict):
        raise CatalogError(f"{where(spec)}: {what}应为映射，而不是 {spec!r}")
    unknown = sorted(set(map(str, spec)) - allowed)
    if unknown:
        raise CatalogError(f"{where(spec, unknown[0])}: {what}中有未知的键 {unknown}（可用: {', '.join(sorted(allowed))}）")


class Recheck:
    """When to look again at a directory of definition files (a stat of each file): at most every
    XINYONG["DEFINITIONS_RECHECK_SECONDS"] — every page and API request asks for the catalog."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}

    def due(self, key: str) -> bool:
        from django.conf import settings

        last = self._at.get(key)
        return last is None or time.monotonic() - last >= settings.XINYONG.get("DEFINITIONS_RECHECK_SECONDS", 2.0)

    def done(self, key: str) -> None:
        self._at[key] = time.monotonic()
