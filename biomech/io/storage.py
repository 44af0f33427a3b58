"""Read and write OpenSim ``.mot`` / ``.sto`` tables.

Two header styles are read:

* modern (``STOFileAdapter``): an optional name line, ``key=value`` lines (``version``, ``nRows``,
  ``nColumns``, ``inDegrees``, ...), free text, then ``endheader``;
* old-style ``.mot``: ``name <name>``, ``datacolumns <n>``, ``datarows <n>``, ``range <t0> <t1>``,
  then ``endheader``.

The line after ``endheader`` holds the column labels (tab separated, the first one ``time``); data
rows follow, separated by tabs or spaces. Values are kept as they are in the file: rotational
columns stay in degrees when ``inDegrees=yes``; converting them is the caller's job because only the
caller knows which columns are rotations.

Recoverable quirks of real files raise a :class:`MotionFileWarning` and the file is read anyway:
a header row or column count that disagrees with the data (the Hamner
``subject02_running_grf.mot`` says ``datarows 901`` but holds 601 rows) and a missing ``inDegrees``
flag (read as ``no``). Broken files raise :class:`~biomech.errors.MotionFileError` naming the file
and line.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from biomech.errors import BiomechError, MotionFileError

__all__ = [
    "MotionFileWarning",
    "Table",
    "atomic_write_text",
    "read_table",
    "write_table",
]

logger = logging.getLogger(__name__)

#: Header keys written by :func:`write_table` itself or describing another file's layout; they are
#: not copied from ``Table.header`` when writing.
_LAYOUT_KEYS = frozenset(
    {"version", "nrows", "ncolumns", "indegrees", "datarows", "datacolumns", "range", "name"}
)
#: Old-style ``.mot`` header keys written as ``key value`` (no ``=``).
_OLD_STYLE_KEYS = frozenset({"name", "datarows", "datacolumns", "range"})
_YES = frozenset({"yes", "true", "1"})
_NO = frozenset({"no", "false", "0"})


class MotionFileWarning(UserWarning):
    """A motion file has a recoverable quirk (e.g. a wrong row count in its header)."""


@dataclass(frozen=True, eq=False)
class Table:
    """A time table as stored in an OpenSim ``.mot`` / ``.sto`` file.

    Parameters
    ----------
    time_s : numpy.ndarray, shape (n_rows,)
        Time in seconds, strictly increasing.
    columns : tuple of str
        Column labels, without ``time``.
    data : numpy.ndarray, shape (n_rows, n_columns)
        Values in the file's units (degrees for rotations when ``in_degrees``).
    in_degrees : bool
        The file's ``inDegrees`` flag.
    header : dict of str to str
        Header entries as read (``key=value`` and old-style ``key value`` lines); free text lines
        are joined under ``"description"``.
    name : str
        The table name (first header line or ``name`` entry).

    Notes
    -----
    The arrays are read-only copies. Equality is identity; compare arrays explicitly.
    """

    time_s: np.ndarray
    columns: tuple[str, ...]
    data: np.ndarray
    in_degrees: bool = False
    header: dict[str, str] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        time_s = np.array(self.time_s, dtype=float)
        data = np.array(self.data, dtype=float)
        columns = tuple(str(c) for c in self.columns)
        if data.ndim == 1 and len(columns) == 1:
            data = data[:, None]
        if time_s.ndim != 1:
            raise BiomechError(f"Table {self.name!r}: time_s must be 1-D, got shape {time_s.shape}")
        if data.shape != (time_s.size, len(columns)):
            raise BiomechError(
                f"Table {self.name!r}: data has shape {data.shape}, expected "
                f"(n_rows, n_columns) = ({time_s.size}, {len(columns)})"
            )
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise BiomechError(f"Table {self.name!r}: duplicate column labels {duplicates}")
        time_s.setflags(write=False)
        data.setflags(write=False)
        object.__setattr__(self, "time_s", time_s)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "in_degrees", bool(self.in_degrees))
        object.__setattr__(self, "header", {str(k): str(v) for k, v in self.header.items()})
        object.__setattr__(self, "name", str(self.name))

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return int(self.time_s.size)

    def column(self, name: str) -> np.ndarray:
        """Return one column (read-only view) by label.

        Raises
        ------
        KeyError
            If no column has that label; the message lists the labels.
        """
        try:
            index = self.columns.index(name)
        except ValueError:
            raise KeyError(
                f"column {name!r} not in table {self.name!r}; columns are {list(self.columns)}"
            ) from None
        return self.data[:, index]

    def select(self, names: Sequence[str]) -> Table:
        """Return a table with only the named columns, in the given order."""
        indices = []
        for name in names:
            self.column(name)  # raises a KeyError naming the columns
            indices.append(self.columns.index(name))
        return Table(
            time_s=self.time_s,
            columns=tuple(names),
            data=self.data[:, indices],
            in_degrees=self.in_degrees,
            header=self.header,
            name=self.name,
        )

    def drop_constant_zero(self) -> Table:
        """Return a table without the columns that are exactly zero in every row.

        Real files carry such placeholder columns (e.g. 24 coordinate columns in the Hamner GRF
        file).
        """
        keep = [i for i in range(len(self.columns)) if np.any(self.data[:, i] != 0.0)]
        return self.select([self.columns[i] for i in keep])


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read an OpenSim ``.mot`` or ``.sto`` file.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    Table
        Time in seconds and the other columns as stored (no unit conversion).

    Raises
    ------
    MotionFileError
        Unreadable file, no ``endheader``, no column labels, first label not ``time``, duplicate
        labels, a row with fewer or more values than labels, a non-numeric value, no data rows,
        or time that does not increase strictly. The message names the file and line.

    Warns
    -----
    MotionFileWarning
        The header row or column count disagrees with the data, or ``inDegrees`` is missing
        (read as ``no``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MotionFileError(path, None, f"not a UTF-8/ASCII text file ({exc.reason})") from None
    except OSError as exc:
        raise MotionFileError(path, None, f"cannot read the file ({exc.strerror})") from None
    lines = text.splitlines()

    end = next((i for i, line in enumerate(lines) if line.strip().lower() == "endheader"), None)
    if end is None:
        raise MotionFileError(
            path, None, "no 'endheader' line; expected an OpenSim .mot/.sto header"
        )
    name, header = _parse_header(lines[:end])

    label_index = next((i for i in range(end + 1, len(lines)) if lines[i].strip()), None)
    if label_index is None:
        raise MotionFileError(
            path, end + 1, "expected a line of column labels after 'endheader', found none"
        )
    labels = _split_labels(lines[label_index])
    label_line = label_index + 1
    if "" in labels:
        position = labels.index("") + 1
        raise MotionFileError(path, label_line, f"column label {position} is empty")
    if labels[0].lower() != "time":
        raise MotionFileError(
            path, label_line, f"expected the first column label to be 'time', found {labels[0]!r}"
        )
    duplicates = sorted({c for c in labels if labels.count(c) > 1})
    if duplicates:
        raise MotionFileError(path, label_line, f"duplicate column labels {duplicates}")

    rows: list[list[float]] = []
    row_lines: list[int] = []
    n_labels = len(labels)
    for index in range(label_index + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped:
            continue
        fields = stripped.split("\t") if "\t" in stripped else stripped.split()
        if len(fields) != n_labels:
            what = "fewer" if len(fields) < n_labels else "more"
            raise MotionFileError(
                path,
                index + 1,
                f"row has {len(fields)} values, {what} than the {n_labels} column labels "
                f"(expected one value per column{'; truncated row?' if what == 'fewer' else ''})",
            )
        try:
            values = [float(token) for token in fields]
        except ValueError:
            values = _parse_row_slowly(path, index + 1, labels, fields)
        rows.append(values)
        row_lines.append(index + 1)
    if not rows:
        raise MotionFileError(path, label_line, "no data rows after the column labels")

    array = np.asarray(rows, dtype=float)
    time_s = array[:, 0]
    bad = np.flatnonzero(~np.isfinite(time_s))
    if bad.size:
        raise MotionFileError(
            path, row_lines[bad[0]], f"time is {float(time_s[bad[0]])!r}; expected a finite number"
        )
    steps = np.flatnonzero(np.diff(time_s) <= 0.0)
    if steps.size:
        i = int(steps[0]) + 1
        now, before = float(time_s[i]), float(time_s[i - 1])
        raise MotionFileError(
            path,
            row_lines[i],
            f"time {now!r} s is not after the previous row's {before!r} s; "
            "expected strictly increasing time",
        )

    _check_counts(path, header, n_rows=len(rows), n_columns=n_labels)
    in_degrees = _in_degrees(path, header, lines[:end])
    return Table(
        time_s=time_s,
        columns=tuple(labels[1:]),
        data=array[:, 1:],
        in_degrees=in_degrees,
        header=header,
        name=name or path.stem,
    )


def write_table(
    path: str | os.PathLike[str],
    table: Table | None = None,
    /,
    *,
    time_s: np.ndarray | None = None,
    columns: Sequence[str] | None = None,
    data: np.ndarray | None = None,
    in_degrees: bool = False,
    name: str = "",
    header: Mapping[str, str] | None = None,
) -> Path:
    """Write a table in the modern OpenSim ``.mot`` / ``.sto`` format.

    Either pass a :class:`Table`, or ``time_s``, ``columns`` and ``data`` (plus the optional
    ``in_degrees``, ``name`` and ``header``) as keywords.

    Parameters
    ----------
    path : path-like
        Destination; parent folders are created. The write is atomic (a temporary file in the same
        folder, then :func:`os.replace`).
    table : Table, optional
        The table to write (positional only).
    time_s, columns, data, in_degrees, name, header
        The table's parts, when ``table`` is not given. Values are written as they are (no unit
        conversion); ``in_degrees`` only sets the flag.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    The header is the name line, ``version=1``, ``nRows``, ``nColumns`` (including ``time``),
    ``inDegrees=yes|no``, the entries of ``header`` that do not describe the layout, and
    ``endheader``. Values use Python's shortest round-trip representation (17 significant digits
    at most), so reading the file back gives the same doubles.
    """
    if table is None:
        if time_s is None or columns is None or data is None:
            raise TypeError("write_table needs a Table or time_s, columns and data")
        table = Table(
            time_s=np.asarray(time_s),
            columns=tuple(columns),
            data=np.asarray(data),
            in_degrees=in_degrees,
            header=dict(header or {}),
            name=name,
        )
    elif time_s is not None or columns is not None or data is not None:
        raise TypeError("write_table takes a Table or arrays, not both")

    path = Path(path)
    for label in table.columns:
        if not label.strip() or any(ch in label for ch in "\t\r\n") or label.lower() == "time":
            raise BiomechError(
                f"{path}: cannot write column label {label!r}; labels must be non-empty, "
                "not 'time', and contain no tabs or line breaks"
            )
    if table.n_rows == 0:
        raise BiomechError(f"{path}: cannot write a table without rows")
    if np.any(np.diff(table.time_s) <= 0.0) or not np.all(np.isfinite(table.time_s)):
        raise BiomechError(f"{path}: time must be finite and strictly increasing")

    title = " ".join((table.name or path.stem).split()).replace("=", "_")
    if title.lower() == "endheader":
        title = path.stem
    out = [
        title,
        "version=1",
        f"nRows={table.n_rows}",
        f"nColumns={len(table.columns) + 1}",
        f"inDegrees={'yes' if table.in_degrees else 'no'}",
    ]
    for key, value in table.header.items():
        if key.lower() in _LAYOUT_KEYS or key == "description":
            continue
        if "=" in key or any(ch in key + value for ch in "\r\n") or not key.strip():
            logger.debug("not writing header entry %r=%r to %s", key, value, path)
            continue
        out.append(f"{key}={value}")
    out.append("endheader")
    out.append("\t".join(("time", *table.columns)))
    block = np.column_stack([table.time_s, table.data]).tolist()
    out.extend("\t".join(map(repr, row)) for row in block)
    atomic_write_text(path, "\n".join(out) + "\n")
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write text to ``path`` atomically.

    The text goes to a temporary file in the same folder, which then replaces ``path`` with
    :func:`os.replace`; readers never see a half-written file. Parent folders are created.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def _parse_header(lines: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Return (name, entries) from the header lines before ``endheader``."""
    name = ""
    header: dict[str, str] = {}
    description: list[str] = []
    seen_content = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        first = not seen_content
        seen_content = True
        if "=" in stripped:
            key, value = stripped.split("=", 1)
            header[key.strip()] = value.strip()
            continue
        parts = stripped.split(None, 1)
        if parts[0].lower() in _OLD_STYLE_KEYS:
            header[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
            if parts[0].lower() == "name" and len(parts) > 1:
                name = parts[1].strip()
        elif first:
            name = stripped
        else:
            description.append(stripped)
    if description:
        header["description"] = " ".join(description)
    return name, header


def _split_labels(line: str) -> list[str]:
    stripped = line.strip()
    if "\t" in stripped:
        return [label.strip() for label in stripped.split("\t")]
    return stripped.split()


def _parse_row_slowly(
    path: Path, line: int, labels: Sequence[str], fields: Sequence[str]
) -> list[float]:
    """Parse a row that ``float`` rejected: accept C-runtime NaN spellings, else name the value."""
    values = []
    for label, token in zip(labels, fields, strict=True):
        value = _to_float(token)
        if value is None:
            raise MotionFileError(
                path, line, f"value {token.strip()!r} in column {label!r} is not a number"
            )
        values.append(value)
    return values


def _to_float(token: str) -> float | None:
    """Parse one value; ``None`` when it is not a number. NaN spellings of C runtimes are NaN."""
    token = token.strip()
    try:
        return float(token)
    except ValueError:
        lowered = token.lower().lstrip("+-")
        if lowered.startswith("nan") or lowered in {"1.#qnan", "1.#ind"}:
            return math.nan
        return None


def _header_int(header: Mapping[str, str], keys: Sequence[str]) -> tuple[str, int] | None:
    lowered = {k.lower(): (k, v) for k, v in header.items()}
    for key in keys:
        if key in lowered:
            original, value = lowered[key]
            try:
                return original, int(value.split()[0])
            except (ValueError, IndexError):
                return original, -1
    return None


def _check_counts(path: Path, header: Mapping[str, str], *, n_rows: int, n_columns: int) -> None:
    rows = _header_int(header, ("nrows", "datarows"))
    if rows is not None and rows[1] != n_rows:
        warnings.warn(
            f"{path}: header says {rows[0]}={header[rows[0]]} but the file has {n_rows} data "
            f"rows; using {n_rows}",
            MotionFileWarning,
            stacklevel=3,
        )
    cols = _header_int(header, ("ncolumns", "datacolumns"))
    if cols is not None and cols[1] != n_columns:
        warnings.warn(
            f"{path}: header says {cols[0]}={header[cols[0]]} but the file has {n_columns} "
            f"columns (including time); using {n_columns}",
            MotionFileWarning,
            stacklevel=3,
        )


def _in_degrees(path: Path, header: Mapping[str, str], lines: Sequence[str]) -> bool:
    for key, value in header.items():
        if key.lower() == "indegrees":
            flag = value.strip().lower()
            if flag in _YES:
                return True
            if flag in _NO:
                return False
            line = next(
                (i + 1 for i, text in enumerate(lines) if text.strip().lower().startswith("indeg")),
                None,
            )
            raise MotionFileError(path, line, f"inDegrees={value!r}; expected 'yes' or 'no'")
    warnings.warn(
        f"{path}: no inDegrees entry in the header; assuming inDegrees=no (radians)",
        MotionFileWarning,
        stacklevel=3,
    )
    return False
