#!/usr/bin/python3
# tests/fuzz/seeds.py -- build the committed seed corpus (tests/fuzz/corpus/<t>/) from a capture.
#
# Usage: tests/fuzz/seeds.py [CAPTURE_DIR]   (default build-fuzz/capture; see capture.py)
#   Reads every client message capture.py recorded, plus the operations of MongoDB's own CRUD
#   specification tests (tests/spec/crud/*.json), and writes:
#     corpus/wire/        whole messages, one per (opcode, command, top-level fields, sections)
#                         shape, plus variants the drivers never send: OP_MSG with a CRC-32C,
#                         exhaustAllowed / moreToCome flags, OP_COMPRESSED (noop) wrappers;
#     corpus/matcher/     filters (find, count, distinct, delete and update q, findAndModify
#                         query, aggregate $match);
#     corpus/update/      update statements {q, u, arrayFilters} (update, findAndModify);
#     corpus/projection/  {filter, projection} (find, findAndModify fields);
#     corpus/agg/         pipelines (aggregate, pipeline updates' stages excluded);
#     corpus/bson/        whole command documents and document-sequence entries (inserted
#                         documents), one per set of element types used, for the door check.
#   Values are copied byte for byte from the captured BSON (no re-encoding), so types such as
#   int64 and decimal128 survive.  Per target, the smallest input of each operator "shape"
#   (the set of $-keys it uses) is kept first, then the smallest others, up to a cap, so the
#   whole corpus stays well under 2 MB.  Existing corpus files are replaced.
import glob
import hashlib
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CAP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build-fuzz", "capture")
OUT = os.path.join(HERE, "corpus")
CAPS = {"wire": 260, "matcher": 300, "update": 260, "projection": 120, "agg": 260, "bson": 200}
MAX_SIZE = 6000

# ---- raw BSON: elements as (type, key, value bytes), never re-encoded ----------------------


def cstr_end(b, i):
    return b.index(b"\0", i)


def value_len(t, b, i):
    fixed = {1: 8, 6: 0, 7: 12, 8: 1, 9: 8, 10: 0, 16: 4, 17: 8, 18: 8, 19: 16, 0xFF: 0, 0x7F: 0}
    if t in fixed:
        return fixed[t]
    if t in (2, 13, 14):
        return 4 + struct.unpack_from("<i", b, i)[0]
    if t in (3, 4, 15):
        return struct.unpack_from("<i", b, i)[0]
    if t == 5:
        return 5 + struct.unpack_from("<i", b, i)[0]
    if t == 11:
        j = cstr_end(b, cstr_end(b, i) + 1)
        return j + 1 - i
    if t == 12:
        return 4 + struct.unpack_from("<i", b, i)[0] + 12
    raise ValueError("bad type %d" % t)


def elements(doc):
    i, end = 4, len(doc) - 1
    while i < end:
        t = doc[i]
        k_end = cstr_end(doc, i + 1)
        key = doc[i + 1:k_end].decode("utf-8", "replace")
        n = value_len(t, doc, k_end + 1)
        yield t, key, doc[k_end + 1:k_end + 1 + n]
        i = k_end + 1 + n


def build(elems):
    body = b"".join(bytes([t]) + k.encode() + b"\0" + v for t, k, v in elems)
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def field(doc, name):
    for t, k, v in elements(doc):
        if k == name:
            return t, v
    return None, None


def type_shape(doc, acc=None):
    """The element types used anywhere in doc."""
    acc = set() if acc is None else acc
    for t, k, v in elements(doc):
        acc.add(t)
        if t in (3, 4):
            type_shape(v, acc)
    return acc


def op_keys(doc, acc=None):
    """The $-keys used anywhere in doc: its operator shape."""
    acc = set() if acc is None else acc
    for t, k, v in elements(doc):
        if k.startswith("$"):
            acc.add(k)
        if t in (3, 4):
            op_keys(v, acc)
    return acc


# ---- wire messages -----------------------------------------------------------------------


def parse_msg(m):
    """(opcode, command document bytes, shape) of a captured message, or None."""
    length, _, _, opcode = struct.unpack_from("<iiii", m)
    if opcode == 2013:
        flags = struct.unpack_from("<I", m, 16)[0]
        i, body, seqs = 20, None, []
        end = len(m) - (4 if flags & 1 else 0)
        while i < end:
            kind = m[i]
            i += 1
            if kind == 0:
                n = struct.unpack_from("<i", m, i)[0]
                body = m[i:i + n]
                i += n
            else:
                n = struct.unpack_from("<i", m, i)[0]
                ident = m[i + 4:cstr_end(m, i + 4)].decode()
                seqs.append((ident, m[cstr_end(m, i + 4) + 1:i + n]))
                i += n
        return opcode, body, seqs
    if opcode == 2004:
        i = cstr_end(m, 20) + 1 + 8
        n = struct.unpack_from("<i", m, i)[0]
        return opcode, m[i:i + n], []
    return None


def seq_docs(raw):
    i = 0
    while i < len(raw):
        n = struct.unpack_from("<i", raw, i)[0]
        yield raw[i:i + n]
        i += n


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def with_checksum(m):
    flags = struct.unpack_from("<I", m, 16)[0] | 1
    b = bytearray(m)
    struct.pack_into("<I", b, 16, flags)
    b += b"\0\0\0\0"
    struct.pack_into("<i", b, 0, len(b))
    struct.pack_into("<I", b, len(b) - 4, crc32c(bytes(b[:-4])))
    return bytes(b)


def with_flags(m, extra):
    b = bytearray(m)
    struct.pack_into("<I", b, 16, struct.unpack_from("<I", m, 16)[0] | extra)
    return bytes(b)


def compressed(m):
    _, rid, rto, opcode = struct.unpack_from("<iiii", m)
    body = m[16:]
    payload = struct.pack("<iiB", opcode, len(body), 0) + body
    return struct.pack("<iiii", 16 + len(payload), rid, rto, 2012) + payload


# ---- collection --------------------------------------------------------------------------

found = {t: {} for t in CAPS}  # target -> {content: shape}


def add(target, data, shape):
    if len(data) <= MAX_SIZE:
        found[target].setdefault(data, frozenset(shape))


def from_command(cmd):
    name = next(elements(cmd))[1] if len(cmd) > 5 else ""
    t_f, filt = field(cmd, "filter")
    if name in ("find", "count", "distinct") or t_f == 3:
        if t_f == 3:
            add("matcher", filt, op_keys(filt))
        t_q, q = field(cmd, "query")
        if t_q == 3:
            add("matcher", q, op_keys(q))
    if name == "find":
        t_p, proj = field(cmd, "projection")
        if t_p == 3:
            elems = [(3, "filter", filt)] if t_f == 3 else []
            add("projection", build(elems + [(3, "projection", proj)]), op_keys(proj))
    if name == "aggregate":
        t_pl, pl = field(cmd, "pipeline")
        if t_pl == 4:
            add("agg", pl, op_keys(pl))
            for _, _, stage in elements(pl):
                t_m, m = field(stage, "$match")
                if t_m == 3:
                    add("matcher", m, op_keys(m))
    if name in ("findAndModify", "findandmodify"):
        t_q, q = field(cmd, "query")
        t_u, u = field(cmd, "update")
        t_a, af = field(cmd, "arrayFilters")
        if t_u in (3, 4):
            elems = ([(3, "q", q)] if t_q == 3 else []) + [(t_u, "u", u)]
            elems += [(4, "arrayFilters", af)] if t_a == 4 else []
            add("update", build(elems), op_keys(u))
        t_p, proj = field(cmd, "fields")
        if t_p == 3:
            add("projection", build(([(3, "filter", q)] if t_q == 3 else []) +
                                    [(3, "projection", proj)]), op_keys(proj))
    return name


def from_statements(name, stmts):
    for st in stmts:
        t_q, q = field(st, "q")
        if t_q == 3:
            add("matcher", q, op_keys(q))
        if name == "update":
            keep = [(t, k, v) for t, k, v in elements(st) if k in ("q", "u", "arrayFilters")]
            t_u, u = field(st, "u")
            if t_u in (3, 4):
                add("update", build(keep), op_keys(u))


def from_capture():
    wire = {}
    for path in sorted(glob.glob(os.path.join(CAP, "wire", "*.bin"))):
        m = open(path, "rb").read()
        parsed = parse_msg(m)
        if parsed is None or parsed[1] is None:
            continue
        opcode, cmd, seqs = parsed
        name = from_command(cmd)
        add("bson", cmd, type_shape(cmd))
        for _, raw in seqs:
            for d in seq_docs(raw):
                add("bson", d, type_shape(d))
        stmts = [v for t, k, v in elements(cmd) if k in ("updates", "deletes") and t == 4]
        for arr in stmts:
            from_statements(name, [v for _, _, v in elements(arr)])
        for ident, raw in seqs:
            if ident in ("updates", "deletes"):
                from_statements(name, list(seq_docs(raw)))
        shape = (opcode, name, tuple(sorted(k for _, k, _ in elements(cmd))),
                 tuple(i for i, _ in seqs))
        if shape not in wire or len(m) < len(wire[shape]):
            wire[shape] = m
    msgs = sorted(wire.values(), key=len)
    for m in msgs:
        add("wire", m, ())
    ops = [m for m in msgs if struct.unpack_from("<i", m, 12)[0] == 2013]
    for m in ops[:25]:
        add("wire", with_checksum(m), ("checksum",))
        add("wire", compressed(m), ("compressed",))
        add("wire", compressed(with_checksum(m)), ("compressed", "checksum"))
    for m in ops[:5]:
        add("wire", with_flags(m, 0x10000), ("exhaust",))
        add("wire", with_flags(m, 0x2), ("moreToCome",))
    for m in [m for m in msgs if struct.unpack_from("<i", m, 12)[0] == 2004][:5]:
        add("wire", compressed(m), ("compressed", "query"))


def from_spec():
    """Operations of the CRUD spec tests, encoded by PyMongo from their extended JSON."""
    import bson
    from bson import json_util

    for path in sorted(glob.glob(os.path.join(TOP, "tests", "spec", "crud", "*.json"))):
        text = open(path).read()
        try:
            spec = json_util.loads(text)
        except Exception:
            continue
        for test in spec.get("tests", []):
            for op in test.get("operations", []):
                args = op.get("arguments", {}) or {}
                try:
                    spec_op(args, bson)
                except Exception:
                    pass


def spec_op(args, bson):
    if isinstance(args.get("filter"), dict):
        filt = bson.encode(args["filter"])
        add("matcher", filt, op_keys(filt))
    if isinstance(args.get("pipeline"), list):
        pl = bson.encode({str(i): s for i, s in enumerate(args["pipeline"])})
        add("agg", pl, op_keys(pl))
    upd = args.get("update", args.get("replacement"))
    if isinstance(upd, (dict, list)):
        stmt = {"q": args.get("filter", {}), "u": upd}
        if isinstance(args.get("arrayFilters"), list):
            stmt["arrayFilters"] = args["arrayFilters"]
        raw = bson.encode(stmt)
        add("update", raw, op_keys(raw))
    if isinstance(args.get("projection"), dict):
        raw = bson.encode({"filter": args.get("filter", {}), "projection": args["projection"]})
        add("projection", raw, op_keys(raw))


def select(items, cap):
    """The smallest input of each shape first, then the smallest others, up to cap."""
    by_size = sorted(items.items(), key=lambda kv: (len(kv[0]), kv[0]))
    seen, first, rest = set(), [], []
    for data, shape in by_size:
        (rest if shape in seen else first).append(data)
        seen.add(shape)
    return (first + rest)[:cap]


def main():
    from_capture()
    from_spec()
    total = 0
    for target, cap in CAPS.items():
        d = os.path.join(OUT, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        chosen = select(found[target], cap)
        for data in chosen:
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        size = sum(len(x) for x in chosen)
        total += size
        print("%-10s %4d of %5d inputs, %7d bytes" % (target, len(chosen), len(found[target]), size))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
