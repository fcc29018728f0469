#!/usr/bin/env python3
"""Compiled images per workload size: bytes, gzipped bytes, and restore time and peak memory
natively, in wasmtime and in Node, beside the JSON load of the same tenant.

    python3 benches/image.py [--sizes small,medium,large,huge] [--runs 3] [--dir DIR]

Needs the release binaries (`cargo build --release -p groupgate-host -p groupgate-bench-cedar
--bins`), the plain module (`make wasm-abi`) and the Node package (`make wasm-js`); `make
bench-image` builds them first. Each restore runs in a fresh process, one at a time, and its
peak is that process's maximum resident set (`wait4`), which in wasmtime includes compiling
the module. The time is the restore (or load) alone, measured inside the process:
`bench-memory` natively, `bench-wasm --restore` in wasmtime, the Node bench's child in Node.
Prints markdown tables: medians of `runs` runs, min–max beside.
"""

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
GROUPGATE = TARGET / "release" / "groupgate"
MEMORY = TARGET / "release" / "bench-memory"
WASM = TARGET / "release" / "bench-wasm"
NODE_RESTORE = ROOT / "benches" / "node" / "bench.mjs"


def run(argv):
    """Runs `argv` to the end; returns its output."""
    done = subprocess.run(list(map(str, argv)), capture_output=True)
    if done.returncode != 0:
        sys.exit(f"{argv[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return done.stdout.decode()


def measure(argv, stdin=None):
    """Runs `argv` in a wrapper process so that its peak is its own (`wait4` on the child)."""
    wrapper = [
        sys.executable,
        "-c",
        "import os,sys,subprocess,time,json\n"
        "t=time.perf_counter()\n"
        "p=subprocess.Popen(sys.argv[1:],stdin=subprocess.PIPE,stdout=subprocess.PIPE,stderr=subprocess.PIPE)\n"
        "p.stdin.write(sys.stdin.buffer.read()); p.stdin.close()\n"
        "out=p.stdout.read(); err=p.stderr.read()\n"
        "_,status,ru=os.wait4(p.pid,0)\n"
        "s=time.perf_counter()-t\n"
        "print(json.dumps({'status':status,'seconds':s,'peak':ru.ru_maxrss*1024,'out':out.decode(errors='replace'),'err':err.decode(errors='replace')}))\n",
        *map(str, argv),
    ]
    done = subprocess.run(wrapper, input=stdin or b"", capture_output=True, check=True)
    result = json.loads(done.stdout)
    if result["status"] != 0:
        sys.exit(f"{argv[0]} failed: {result['err']}")
    return result["out"], result["seconds"], result["peak"]


def native(path):
    """bench-memory: restore (or load) time in ms, and the process's peak in bytes."""
    out, _, peak = measure([MEMORY, path])
    ms = float(re.search(r"load took (\d+) ms", out).group(1))
    return ms, peak


def wasmtime(path):
    """bench-wasm --restore: the restore alone (the module compiled before timing)."""
    out, _, peak = measure([WASM, "--restore", path])
    return json.loads(out)["ms"], peak


def node(path, kind):
    out, _, peak = measure(["node", "--expose-gc", NODE_RESTORE, "--rss", kind, path])
    answer = json.loads(out.strip().splitlines()[-1])
    return answer["ms"], peak


def cell(values, unit=1.0, digits=0):
    values = [v / unit for v in values]
    med = statistics.median(values)
    fmt = f"{{:,.{digits}f}}"
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default=str(TARGET / "bench-image"))
    parser.add_argument("--hosts", default="native,wasmtime,node")
    args = parser.parse_args()
    hosts = args.hosts.split(",")
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    for tool in (GROUPGATE, MEMORY, WASM):
        if not tool.exists():
            sys.exit(f"{tool} is missing: cargo build --release -p groupgate-host -p groupgate-bench-cedar --bins")
    rows = []
    for size in args.sizes.split(","):
        snapshot = work / f"{size}.json"
        image = work / f"{size}.ggc"
        if not snapshot.exists():
            text = run([GROUPGATE, "gen", "--size", size, "--seed", "1"])
            snapshot.write_text(text)
        _, compile_s, compile_peak = measure(
            [GROUPGATE, "compile", "--snapshot", snapshot, "--out", image, "--native"]
        )
        json_bytes = snapshot.read_bytes()
        image_bytes = image.read_bytes()
        row = {
            "size": size,
            "json": len(json_bytes),
            "json_gz": len(gzip.compress(json_bytes, 6)),
            "image": len(image_bytes),
            "image_gz": len(gzip.compress(image_bytes, 6)),
            "compile_s": compile_s,
            "compile_peak": compile_peak,
        }
        del json_bytes, image_bytes
        for host in hosts:
            for kind, path in (("json", snapshot), ("compiled", image)):
                times, peaks = [], []
                for _ in range(args.runs):
                    if host == "native":
                        ms, peak = native(path)
                    elif host == "wasmtime":
                        if kind == "json":
                            continue
                        ms, peak = wasmtime(path)
                    else:
                        ms, peak = node(path, kind)
                    times.append(ms)
                    peaks.append(peak)
                if times:
                    row[f"{host}_{kind}"] = (times, peaks)
        rows.append(row)
        print(f"{size}: done", file=sys.stderr)

    print("| size | JSON | JSON gzipped | image | image gzipped | compile (native, whole process) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| `{r['size']}` | {r['json'] / 1e6:,.1f} MB | {r['json_gz'] / 1e6:,.2f} MB "
            f"| {r['image'] / 1e6:,.2f} MB | {r['image_gz'] / 1e6:,.2f} MB "
            f"| {r['compile_s']:,.2f} s, peak {r['compile_peak'] / 1e6:,.0f} MB |"
        )
    print()
    print("| size | host | JSON load ms | JSON peak MB | restore ms | restore peak MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        for host in hosts:
            j = r.get(f"{host}_json")
            c = r.get(f"{host}_compiled")
            if not c:
                continue
            jt = cell(j[0]) if j else "—"
            jp = cell(j[1], 1e6) if j else "—"
            print(
                f"| `{r['size']}` | {host} | {jt} | {jp} | {cell(c[0])} | {cell(c[1], 1e6)} |"
            )


if __name__ == "__main__":
    main()
