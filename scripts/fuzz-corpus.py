#!/usr/bin/env python3
"""Seeds each fuzz target's corpus from the recorded cassettes in fixtures/cassettes:
the cassettes themselves, each stream's bytes as they arrived (for the SSE parser), the
answers they stand for as HTTP (for the answer reader), and create-then-stream pairs
(for the whole path). usage: fuzz-corpus.py FIXTURES OUT_DIR"""
import base64, glob, hashlib, json, os, sys

fixtures, out = sys.argv[1], sys.argv[2]
MAX = 60000  # libFuzzer's -max_len for these targets is 65536


def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    data = data[:MAX]
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def chunk_bytes(c):
    return base64.b64decode(c["base64"]) if "base64" in c else c["bytes"].encode("utf-8")


def http(status, body, ctype="application/json"):
    return b"HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (status, ctype.encode(), len(body)) + body


def chunked(pieces):
    out = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    for p in pieces:
        if p:
            out += b"%x\r\n" % len(p) + p + b"\r\n"
    return out + b"0\r\n\r\n"


count = 0
for path in sorted(glob.glob(os.path.join(fixtures, "cassettes", "*", "*.cassette.json"))):
    raw = open(path, "rb").read()
    c = json.loads(raw)
    put("cassette", raw)
    put("cassette", json.dumps(c, separators=(",", ":")).encode())
    streams = []
    for name, w in c["wire"]["streams"].items():
        pieces = [chunk_bytes(ch) for ch in w["chunks"]]
        whole = b"".join(pieces)
        for cut in (0, 6, 16):
            put("sse_parser", bytes([cut]) + whole)
        put("http_reader", bytes([3]) + chunked(pieces))
        streams.append(chunked(pieces))
    creates = []
    for q in c["record"]["requests"]:
        body = json.dumps(q["response"], separators=(",", ":")).encode() if q["response"] is not None else b""
        put("http_reader", bytes([1]) + http(q["status"] or 200, body, q["contentType"] or "application/json"))
        if q["action"] == "create_task":
            creates.append(http(q["status"], body))
    for a in creates[:2]:
        for s in streams[:2]:
            put("target_bytes", len(a).to_bytes(2, "big") + a + s)
    count += 1
print(f"fuzz corpus: seeded from {count} cassettes into {out}")
