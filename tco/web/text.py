"""Text the service accepts as a name or an id, and text it writes into CSV cells."""
from __future__ import annotations

import re

import marshmallow as ma
import pandas as pd

from tco.workbook import FORMULA_START   # = + - @ tab CR: the one rule of the CSV and the XLSX exports

#: C0 and C1 control characters (NUL, tab, CR, LF, DEL, ...), the line and paragraph separators,
#: and lone surrogates (not UTF-8: they could be neither stored nor sent back).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: The same without surrogates, for pandas' (Arrow) text columns, which cannot hold any.
_CONTROL_ARROW = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"


#: The same rule for the OpenAPI spec (JSON Schema ``pattern``, ECMA-262 syntax): one line, no control character.
ONE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"


def control_character(text: str) -> str | None:
    """The first control character in ``text`` as a ``U+XXXX`` label, or ``None``.

    >>> control_character("gpt-4o"), control_character("gpt\\x00-4o"), control_character("a\\tb")
    (None, 'U+0000', 'U+0009')
    """
    m = CONTROL.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def one_line(value) -> None:
    """marshmallow validator: a name or id is one line of text without control characters."""
    if isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            raise ma.ValidationError(f"must be one line of text without control characters (found {bad})")


def control_mask(values: pd.Series) -> pd.Series:
    """Per value of a text column, whether it holds a control character (vectorised)."""
    return values.astype(str).str.contains(_CONTROL_ARROW, regex=True, na=False)




def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'`` (what spreadsheets take as "this is text"), whatever table it came from, overlays included.
    Number columns are left as they are: ``-5.0`` is a number, not a formula.

    >>> df = pd.DataFrame({"id": ["gpt-4o", "=HYPERLINK(1)", "-2+3", "@SUM(A1)", None], "usd": [1.0, -2.0, 3, 4, 5]})
    >>> neutralise_formulas(df).to_dict("list")["id"]
    ['gpt-4o', "'=HYPERLINK(1)", "'-2+3", "'@SUM(A1)", nan]
    >>> neutralise_formulas(df)["usd"].tolist()
    [1.0, -2.0, 3.0, 4.0, 5.0]
    """
    out = df.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col) \
                or pd.api.types.is_bool_dtype(col):
            continue
        text = col.where(col.isna(), col.astype(str))
        risky = text.str.contains(FORMULA_START, regex=True, na=False)
        if risky.any():
            out[name] = text.where(~risky, "'" + text)
    return out


def csv_text(df: pd.DataFrame) -> str:
    r"""``df`` as CSV text for a download: formula cells neutralised, blanks for missing values.

    Every CSV the service writes goes through here.  Lines end in CRLF (RFC 4180), so a cell holding
    a lone carriage return is quoted rather than read as the end of a row.

    >>> csv_text(pd.DataFrame({"notes": ["=1+1", "ok", "a\rb"], "usd": [-1.5, None, 2]}))
    'notes,usd\r\n\'=1+1,-1.5\r\nok,\r\n"a\rb",2.0\r\n'
    """
    return neutralise_formulas(df).to_csv(index=False, na_rep="", lineterminator="\r\n")
