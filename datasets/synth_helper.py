"""Helper process for `harness datasets synth`: profiles tables, writes random
tables and executes gold code with the runner's fingerprint (harness/fingerprint's
Python source, put in at its marker by the Go side). It reads one JSON request
per line on stdin and answers one JSON line on stdout, so one process serves
thousands of tasks with its tables loaded once. Python 3.11 and 3.12."""
import json
import re
import signal
import sys
import traceback

import polars as pl

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_cache = {}


def load(ref):
    key = (ref["path"], ref.get("format", "parquet"))
    if key not in _cache:
        if key[1] == "csv":
            _cache[key] = pl.read_csv(key[0])
        else:
            _cache[key] = pl.read_parquet(key[0])
    return _cache[key]


# @fingerprint.py@ (harness/fingerprint/fingerprint.py, put in by the Go side: one source for the worker, the synth helper and the judge)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout("timed out")


def run_once(req):
    env = {"pl": pl}
    for ref in req["tables"]:
        env[ref["name"]] = load(ref)
    exec(compile(req["code"], "<gold>", "exec"), env)
    if "result" not in env:
        raise NameError("the code does not assign result")
    result = env["result"]
    if not isinstance(result, pl.DataFrame):
        raise TypeError("result is %s, not a polars DataFrame" % type(result).__name__)
    # The runner's fingerprint only: synthesis compares hashes, not values.
    return result_fingerprint(result, values=False)


def do_exec(req):
    out = {"ok": False}
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(req.get("timeout", 20)))
    try:
        fps = [run_once(req) for _ in range(max(1, int(req.get("repeat", 1))))]
        out.update(fps[0])
        out["ok"] = True
        out["deterministic"] = all(f["hash"] == fps[0]["hash"] for f in fps)
    except Timeout:
        out.update(error_kind="timeout", error="timed out")
    except Exception as e:  # noqa: BLE001 - any failure of gold code is a rejection
        out.update(error_kind=type(e).__name__, error=str(e).splitlines()[0][:300] if str(e) else type(e).__name__)
    finally:
        signal.alarm(0)
    return out


def profile_column(df, name):
    s = df.get_column(name)
    dtype = str(s.dtype)
    col = {"name": name, "dtype": dtype, "nulls": s.null_count(), "n_unique": s.drop_nulls().n_unique()}
    nn = s.drop_nulls()
    if s.dtype.is_numeric() and nn.len() > 0:
        col["min"] = float(nn.min())
        col["max"] = float(nn.max())
        col["q"] = [float(nn.quantile(q, "nearest")) for q in (0.1, 0.25, 0.5, 0.75, 0.9)]
    elif s.dtype == pl.String and nn.len() > 0:
        sample = nn.head(200).to_list()
        col["is_date"] = all(DATE_RE.match(v) for v in sample)
        if col["is_date"]:
            col["has_time"] = any(len(v) > 10 for v in sample)
            col["min_str"] = nn.min()
            col["max_str"] = nn.max()
            col["q_str"] = [nn.sort().gather_every(max(1, nn.len() // 10)).to_list()[i] for i in (2, 5, 8)] if nn.len() >= 10 else [nn.min()] * 3
        if col["n_unique"] <= 30:
            vc = nn.value_counts(sort=True).get_column(name).to_list()
            col["values"] = vc[:30]
        col["samples"] = nn.unique(maintain_order=True).head(20).to_list()
        col["avg_len"] = float(nn.str.len_chars().mean())
    return col


def related(a, b, right_table):
    if b == "id":
        # A bare "id" key only links from "<stem>_id" where the table is named after the stem.
        return a.endswith("_id") and right_table.endswith("_" + a[:-3])
    if a == b:
        return True
    strip = lambda c: re.sub(r"^[a-z]{1,2}_", "", c)
    if "_" in a and "_" in b and strip(a) == strip(b) and strip(a) != a:
        return True
    return a.endswith("_" + b) or (a == "reports_to" and b == "employee_id") or (a == "country_code" and b == "code")


def do_profile(req):
    tables = {}
    for ref in req["tables"]:
        df = load(ref)
        tables[ref["name"]] = df
    out = {"tables": [], "links": []}
    for ref in req["tables"]:
        df = tables[ref["name"]]
        out["tables"].append({"name": ref["name"], "rows": df.height,
                              "columns": [profile_column(df, c) for c in df.columns]})
    # Links: a many-side column whose values mostly fall in a unique column of
    # another (or the same) table of the same family, with a related name.
    names = list(tables)
    for ln in names:
        for rn in names:
            if ln.split("_")[0] != rn.split("_")[0]:
                continue
            ldf, rdf = tables[ln], tables[rn]
            for rc in rdf.columns:
                rs = rdf.get_column(rc)
                if rs.dtype not in (pl.Int64, pl.String) or rs.null_count() or rs.n_unique() != rdf.height:
                    continue
                for lc in ldf.columns:
                    if (ln == rn and lc == rc) or not related(lc, rc, rn) or ldf.schema[lc] != rs.dtype:
                        continue
                    ls = ldf.get_column(lc).drop_nulls()
                    if ls.len() == 0:
                        continue
                    overlap = float(ls.is_in(rs.implode()).mean())
                    if overlap >= 0.5:
                        out["links"].append({"left": ln, "left_on": lc, "right": rn, "right_on": rc,
                                             "overlap": overlap, "left_unique": ls.n_unique() == ldf.height})
    return out


DTYPES = {"int": pl.Int64, "float": pl.Float64, "str": pl.String, "bool": pl.Boolean}


def do_write(req):
    schema = {c["name"]: DTYPES[c["type"]] for c in req["columns"]}
    data = {c["name"]: c["values"] for c in req["columns"]}
    pl.DataFrame(data, schema=schema).write_parquet(req["path"])
    return {"ok": True}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "exec":
                out = do_exec(req)
            elif op == "profile":
                out = do_profile(req)
            elif op == "write":
                out = do_write(req)
            else:
                out = {"fatal": "unknown op %r" % op}
        except Exception as e:  # noqa: BLE001 - report, keep serving
            out = {"fatal": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()[-500:]}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
