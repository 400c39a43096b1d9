"""Request bodies (query strings, JSON, form data, multipart uploads) and the images sent
with sendPhoto: PNG/JPEG sizes and the PhotoSize answered for them."""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from .apitypes import ApiError

__all__ = ["MAX_PHOTO_BYTES", "Upload", "image_size"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


def _parse_params(content_type: str, body: bytes, query: str) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request body") from None
        if isinstance(data, dict):
            params.update(data)
    elif content_type.startswith("multipart/form-data"):
        params.update(_parse_multipart(content_type, body))
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields as strings, file parts as Upload (byte-exact: no email-parser rewriting)."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        raise ApiError(400, "Bad Request: can't parse multipart/form-data request")
    params: dict[str, Any] = {}
    for chunk in body.split(b"--" + found.group(1).encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', headers, flags=re.MULTILINE)
        if name is None:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        if filename is None:
            params[name.group(1)] = data.decode("utf-8")
            continue
        kind = re.search(r"^content-type:\s*(\S+)", headers, flags=re.MULTILINE | re.IGNORECASE)
        params[name.group(1)] = Upload(filename.group(1),
                                       kind.group(1) if kind else "application/octet-stream",
                                       data)
    return params


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, None if it is neither (Telegram cannot process it)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None



def _photo_size(data: bytes) -> dict:
    """The PhotoSize Telegram answers for an image (one size; the real API adds thumbnails)."""
    digest = hashlib.sha256(data).hexdigest()
    width, height = image_size(data) or (0, 0)
    return {"file_id": "AgACAgQAAx0Fake" + digest[:40], "file_unique_id": "AQAD" + digest[:12],
            "width": width, "height": height, "file_size": len(data)}
