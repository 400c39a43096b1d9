"""The DTD entity policy for feeds: internal-subset entities may not expand a feed past a cap.

When expat stops at its amplification limit, feedparser retries with its loose parser, which
expands the internal subset's entities without any limit: a 105 KB feed declaring one 100 KB
``<!ENTITY>`` used 1,000 times became a 100 MB article. So before feedparser sees a feed,
the entity declarations of its prolog are weighed (value length x references); over
:data:`MAX_EXPANSION` they are removed and the references stay unexpanded text.
The lxml fast path never expands entities (``resolve_entities=False``) and declines on any
DOCTYPE, so this is the policy of every feed-parser path.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["MAX_EXPANSION", "defuse_entities"]

MAX_EXPANSION = 1_000_000  # characters the declared entities may add to a feed
_ENTITY = re.compile(r"<!ENTITY\s+(%\s+)?([^\s>]+)\s+(?:\"([^\"]*)\"|'([^']*)'|[^>]*)>", re.S)
_MAX_DECLARED = 200  # more is no feed's need (and bounds the nesting walk)
_REF = re.compile(r"&([^\s&;#]+);")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0\0\0", "utf-32-le"), (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"), (b"\0<", "utf-16-be"),
)


def _codec(content: bytes) -> str:
    """The codec to find markup in: one of the wide encodings, else an ASCII superset."""
    return next((codec for mark, codec in _WIDE if content.startswith(mark)), "latin-1")


def defuse_entities(content: bytes) -> tuple[bytes, str | None]:
    """``content`` unchanged, or without its entity declarations and a problem saying why.

    Only the prolog (before the first element) can declare entities.
    """
    if b"<!ENTITY" not in content and b"<\0!\0E\0" not in content and b"\0<\0!\0E" not in content:
        return content, None  # the common case: one scan of the bytes
    codec = _codec(content)
    text = content.decode(codec, errors="replace")
    # the first element outside a declaration (an entity's value may hold markup)
    first = _FIRST_ELEMENT.search(_ENTITY.sub(lambda m: " " * len(m.group()), text))
    end = first.start() if first else len(text)
    head, body = text[:end], text[end:]
    declared = {m.group(2): m for m in _ENTITY.finditer(head)}
    if not declared:
        return content, None
    if len(declared) > _MAX_DECLARED or any(m.group(1) for m in declared.values()):
        expansion = float("inf")  # parameter entities can declare more: never expanded
    else:
        sizes: dict[str, float] = {}
        values = {name: m.group(3) or m.group(4) or "" for name, m in declared.items()}
        expansion = sum(_size(name, values, sizes) * body.count(f"&{name};")
                        for name in values)
    if expansion <= MAX_EXPANSION:
        return content, None
    size = "without bound" if expansion == float("inf") else f"{expansion / 1e6:.0f} MB"
    problem = f"DTD entities would add {size} (over {MAX_EXPANSION / 1e6:g} MB): not expanded"
    head = _ENTITY.sub("", head)
    return (head + body).encode(codec, errors="replace"), problem


def _size(name: str, values: dict[str, str], sizes: dict[str, float]) -> float:
    """Characters ``&name;`` expands to, nested references included (a cycle: infinite)."""
    if name in sizes:
        return sizes[name]
    sizes[name] = float("inf")  # seen while being computed: a reference cycle
    value = values.get(name, "")
    refs = _REF.findall(value)
    total = float(len(value)) + sum(_size(ref, values, sizes) for ref in refs if ref in values)
    sizes[name] = total
    return total
