"""Decode the bytes of a CSV file: a given encoding, a BOM, or UTF-8, GBK, GB18030.

NBS exports and yearbook tables are usually GBK; English datasets UTF-8,
sometimes with a byte-order mark (Excel's "CSV UTF-8"). :func:`decode` tries
them in turn and rejects a GBK decoding that does not look like Chinese, so
that a Latin-1 or Shift-JIS file is reported rather than read as mojibake.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from massincidents.errors import DataError, Problem

__all__ = ["AUTO_ENCODINGS", "decode"]

#: Encodings tried, in order, when ``encoding=None`` and the file has no BOM.
AUTO_ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")
_PLAUSIBLE_SAMPLE = 200_000


@lru_cache(maxsize=4096)
def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _plausible_chinese(text: str) -> bool:
    """Whether text decoded as GBK looks like Chinese rather than mojibake.

    Real GBK text (NBS exports, yearbooks) is almost entirely made of the
    characters of the older GB 2312 set. Latin-1, Shift-JIS or other bytes
    forced through GBK decode mostly to rare characters outside it.
    """
    sample = [c for c in text[:_PLAUSIBLE_SAMPLE] if ord(c) > 127]
    if not sample:
        return True
    common = sum(_in_gb2312(c) for c in sample)
    return common / len(sample) >= 0.8


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def decode(raw: bytes, label: str, encoding: str | None) -> tuple[str, str]:
    """Decode file bytes; return the text and the encoding used.

    With ``encoding=None``: a UTF-8 or UTF-16 byte-order mark decides;
    otherwise UTF-8, GBK and GB18030 are tried in turn, and a GBK/GB18030
    decoding must look like Chinese (see :func:`_plausible_chinese`).

    Examples
    --------
    >>> decode("地区,2017年".encode("gbk"), "x.csv", None)
    ('地区,2017年', 'gbk')
    >>> decode(codecs.BOM_UTF8 + "地区".encode(), "x.csv", None)
    ('地区', 'utf-8-sig')
    """
    if encoding is not None:
        try:
            return raw.decode(encoding), encoding
        except LookupError as err:
            raise DataError([Problem(f"unknown encoding {encoding!r}", label)]) from err
        except UnicodeDecodeError as err:
            message = (
                f"cannot decode as {encoding}: byte {raw[err.start]:#04x} at offset "
                f"{err.start} is invalid; try encoding=None to detect the encoding"
            )
            raise DataError([Problem(message, label, _line_of(raw, err.start))]) from err
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    for bom, name in boms:
        if raw.startswith(bom):
            try:
                return raw.decode(name), name
            except UnicodeDecodeError as err:
                message = f"starts with a {name} byte-order mark but is not valid {name}"
                raise DataError([Problem(message, label, _line_of(raw, err.start))]) from err
    tried: list[str] = []
    for name in AUTO_ENCODINGS:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError as err:
            tried.append(f"{name} (invalid byte at line {_line_of(raw, err.start)})")
            continue
        if name != "utf-8" and not _plausible_chinese(text):
            tried.append(f"{name} (decodes, but to implausible characters)")
            continue
        return text, name
    message = (
        f"cannot detect the text encoding; tried {', '.join(tried)}. "
        "The file may be in another encoding: pass encoding=... "
        "(for example 'latin-1', 'cp1252', 'shift_jis' or 'big5')"
    )
    if raw.count(b"\x00") * 4 >= len(raw):
        message += (
            "; the file is full of NUL bytes, as UTF-16 without a byte-order mark is: "
            "try encoding='utf-16-le' (or 'utf-16-be')"
        )
    raise DataError([Problem(message, label)])
