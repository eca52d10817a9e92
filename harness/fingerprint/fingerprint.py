# The result fingerprint (harness/fingerprint.Fingerprint), computed by one
# Python source: it is put into the Polars worker (harness/worker/worker.py) and
# the synth helper (datasets/synth_helper.py) at their marker (fingerprint.Marker)
# line, and the judge runs it after the runner's script (harness/judge), so all
# three compute the same thing. The judge's verdict still comes from the
# runner's script itself; this source only adds the names-insensitive part there.
import hashlib
import io
import itertools

import polars as pl


def runner_fingerprint(result):
    """Exactly the runner's steps after the user's code: the hash of the sorted
    CSV, the shape and the ordered columns of a DataFrame, and the sorted frame."""
    result = result.select(result.columns)
    if result.columns:
        result = result.sort(result.columns)
    csv_text = result.write_csv(file=None)
    h = hashlib.sha256(csv_text.encode()).hexdigest()[:16]
    return {"hash": h, "rows": result.height, "cols": result.width, "columns": result.columns}, result


def result_fingerprint(result, values=True):
    """The fingerprint's JSON fields for a DataFrame: the runner's, and with
    values the names-insensitive fingerprint of the same sorted result. The
    runner's fingerprint stands even when the values one cannot be computed."""
    fp, result = runner_fingerprint(result)
    if values:
        try:
            fp["values"], fp["column_values"] = values_fingerprint(result)
        except Exception:
            fp["values"], fp["column_values"] = "", []
    return fp


# The names-insensitive fingerprint (Fingerprint.Values and .ColumnValues).
#
# A cell is the text the runner's CSV prints for it (write_csv with its defaults;
# null is a null), so cells the runner cannot tell apart are equal here too
# (Int32 and Int64 5, a Date and its ISO string). Integers, strings, booleans,
# dates, categoricals and nulls are cast to text, which prints the same; other
# columns (floats, datetimes, decimals...) are written to CSV and read back.
#  - column hash (ColumnValues): the wrapping sum of the cells' polars hashes
#    (fixed seeds), 16 hex digits: a hash of the multiset of the column's cells,
#    blind to the column's name and to row order.
#  - values: the columns put in the order of their column hashes; each row
#    hashed as the tuple of its cells' hashes in that order; the wrapping sum
#    over rows, with the shape, through sha256, 16 hex digits. A hash of the
#    multiset of rows, blind to column names, column order and row order.
#    Columns with equal column hashes but different contents are tried in
#    every order (at most 24 orders in all) and the smallest hash is kept.
#    Zero columns: the hash of the shape alone.
# Polars' hash is stable for one polars build: compare these within one
# environment (the runner's venv), not across polars versions.

_VF_CELL_SEEDS = (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344)
_VF_ROW_SEEDS = (0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89)


def _vf_as_text(dtype):
    return dtype.is_integer() or dtype in (pl.String, pl.Boolean, pl.Date, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum)


def values_text_frame(result):
    """The result's cells as the runner's CSV prints them: String columns c0, c1, ..."""
    cols = {}
    other = []
    for i, (name, dtype) in enumerate(result.schema.items()):
        if _vf_as_text(dtype):
            cols[i] = result.to_series(i).cast(pl.String)
        else:
            other.append(i)
    if other:
        written = result.select([pl.nth(i) for i in other]).write_csv(file=None)
        back = pl.read_csv(io.StringIO(written), infer_schema=False, missing_utf8_is_empty_string=False)
        if back.shape != (result.height, len(other)):
            raise ValueError(f"the CSV reads back as {back.shape}")
        for k, i in enumerate(other):
            cols[i] = back.to_series(k)
    return pl.DataFrame([cols[i].alias(f"c{i}") for i in range(result.width)])


def values_cell_hashes(s):
    """Each cell's hash (UInt64), columns c0, c1, ... of a values_text_frame."""
    return s.select(pl.all().hash(*_VF_CELL_SEEDS))


def values_column_hashes(h):
    sums = h.sum().row(0) if h.width else ()
    return [f"{(x or 0):016x}" for x in sums]


def _vf_rows_sum(h, order):
    if not order:
        return 0
    rows = h.select(pl.struct([pl.col(h.columns[i]).alias(f"c{k}") for k, i in enumerate(order)]).hash(*_VF_ROW_SEEDS).alias("r"))
    return rows.get_column("r").sum() or 0


def _vf_orders(h, hashes, limit=24):
    # Every order of the columns by hash, permuting only tied, non-identical columns.
    base = sorted(range(len(hashes)), key=lambda i: (hashes[i], i))
    orders, i = [base], 0
    while i < len(base):
        j = i
        while j < len(base) and hashes[base[j]] == hashes[base[i]]:
            j += 1
        g = base[i:j]
        first = h.to_series(g[0])
        if len(g) > 1 and not all(first.equals(h.to_series(k), check_names=False) for k in g[1:]):
            perms = list(itertools.permutations(g))
            if len(orders) * len(perms) > limit:
                break
            orders = [o[:i] + list(p) + o[j:] for o in orders for p in perms]
        i = j
    return orders


def _vf_digest(height, width, rows_sum):
    return hashlib.sha256(f"{height}x{width}:{rows_sum:016x}".encode()).hexdigest()[:16]


def values_fingerprint(result):
    """(values, column hashes in the result's column order) of a DataFrame."""
    if result.width == 0:
        return _vf_digest(result.height, 0, 0), []
    h = values_cell_hashes(values_text_frame(result))
    hashes = values_column_hashes(h)
    return min(_vf_digest(h.height, h.width, _vf_rows_sum(h, o)) for o in _vf_orders(h, hashes)), hashes


def values_contained(small, big, limit=64):
    """Whether big, kept to some of its columns, equals small up to column names
    and order: each column of small is matched to a distinct column of big with
    the same column hash (at most limit matchings are tried) and the two must
    then hold the same multiset of rows. Both are DataFrames."""
    if small.width == 0 or small.width > big.width or small.height != big.height:
        return False
    hs, hb = values_cell_hashes(values_text_frame(small)), values_cell_hashes(values_text_frame(big))
    cs, cb = values_column_hashes(hs), values_column_hashes(hb)
    cands = [[j for j, y in enumerate(cb) if y == x] for x in cs]
    if not all(cands):
        return False
    target = _vf_rows_sum(hs, list(range(hs.width)))
    tried = [0]

    def walk(i, chosen):
        if i == len(cands):
            tried[0] += 1
            return _vf_rows_sum(hb, chosen) == target
        for j in cands[i]:
            if j not in chosen and tried[0] < limit and walk(i + 1, chosen + [j]):
                return True
        return False

    return walk(0, [])
