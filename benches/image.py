#!/usr/bin/env python3
"""Compiled images per workload size: bytes, gzipped bytes, and restore time and peak memory
natively, in wasmtime and in Node, beside the JSON load of the same tenant by groupgate and by
two peers, Cedar and Rego (regorus), and the Worker's cold start in workerd.

    python3 benches/image.py [--sizes small,medium,large,huge] [--runs 3] [--dir DIR]
                             [--hosts native,cedar,regorus,wasmtime,node,workerd]

Needs the release binaries (`cargo build --release -p groupgate-host -p groupgate-bench-cedar
--bins --features groupgate-bench-cedar/regorus`), the plain module (`make wasm-abi`), the
Node package (`make wasm-js`) and, for workerd, the npm packages of `examples/workerd` and
`benches/edge`; `make bench-image` builds and installs them first. Each load or restore runs
in a fresh process, one at a time. Prints markdown tables: medians of `runs` runs, min–max
beside. In the second table:

- ms: the load (or restore) alone, timed inside the process: `bench-memory` natively,
  `bench-memory --peer cedar|regorus` for the peers, `bench-wasm --restore` in wasmtime, the
  Node bench's child in Node. For Cedar the load is `Entities::from_json_str` (which computes
  the transitive closure of the group hierarchy) and the policies' parse; for regorus, engine
  creation, `add_policy` and `add_data` of the data document (Rego walks the hierarchy at each
  question instead).
- peak MB: native, Cedar and regorus (`bench-memory`): `VmHWM` from just before the load to
  its end (`bench-memory` resets the peak there), which holds the text the process read:
  the snapshot (or image) natively; for a peer its input text, which a child process builds
  from the snapshot (groupgate lists the dynamic members) and the measuring process reads.
  The peer's answer comparison after the load is not included. Wasmtime and Node: the
  process's maximum resident set (`wait4`), which holds the image it read and, in wasmtime,
  the module's compilation; it never reads below the measuring wrapper's own resident set
  (about 14 MB here), which the count starts from before the child executes the tool.
- growth MB: `VmHWM` from just before the load to its end, less `VmRSS` just before the load,
  both read inside `bench-memory` (native and peers; "—" for wasmtime and Node, whose tools
  do not report them): the load's own memory, without the text it reads or anything else the
  process held. This is the column that compares groupgate with the peers.

workerd: a fresh workerd serving the Worker (`examples/workerd`) with the image bundled, and
one check sent to it (`benches/edge/bench.mjs --cold`). Its row gives the restore as the
isolate timed it and workerd's own peak (`VmHWM`, the whole process, its runtime included);
a third table gives the first request (connection, restore and answer) and what the isolate
holds after it (JS heap, ArrayBuffers and the module's linear memory).

Peers answer only the JSON load (restore "—"); `bench-memory --peer` also answers the first
1,000 checks of the workload's sequence through the peer and through groupgate and fails on
any differing answer, so every peer row printed comes from a run whose answers agreed.
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
EDGE = ROOT / "benches" / "edge" / "bench.mjs"
ABI_WASM = TARGET / "abi" / "groupgate.wasm"
# The peers `bench-memory --peer` loads (regorus only in a build with the `regorus` feature).
PEERS = ("cedar", "regorus")


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


def printed_mb(out, label):
    """A `label  N MB` line of bench-memory's output, in bytes."""
    return float(re.search(rf"^{label}\s+([\d.]+) MB", out, re.M).group(1)) * 1e6


def memory(argv):
    """bench-memory: the load (or restore) time in ms, the peak from just before it and the
    load's growth in bytes, as the tool prints them."""
    out, _, _ = measure([MEMORY, *argv])
    ms = float(re.search(r"load took (\d+) ms", out).group(1))
    return ms, printed_mb(out, "peak during load"), printed_mb(out, "growth during load")


def native(path):
    """groupgate's load of the snapshot, or restore of the image."""
    return memory([path])


def peer(path, name):
    """A peer's load of the same tenant; bench-memory fails if the peer's answers differ."""
    return memory(["--peer", name, path])


def wasmtime(path):
    """bench-wasm --restore: the restore alone (the module compiled before timing)."""
    out, _, peak = measure([WASM, "--restore", path])
    return json.loads(out)["ms"], peak, None


def node(path, kind):
    out, _, peak = measure(["node", "--expose-gc", NODE_RESTORE, "--rss", kind, path])
    answer = json.loads(out.strip().splitlines()[-1])
    return answer["ms"], peak, None


def first_ids(snapshot):
    """The first user's and the first product's ids of a generated snapshot, for one check."""
    text = snapshot.read_bytes()
    found = []
    for section in (b'"users":', b'"products":'):
        at = text.find(section)
        match = re.compile(rb'"id"\s*:\s*"([^"\\]+)"').search(text, at)
        if at < 0 or not match:
            sys.exit(f"{snapshot}: no {section.decode()} with an id")
        found.append(match.group(1).decode())
    return found


def workerd(path, user, product):
    """A cold start of the Worker in workerd on the image: the restore as the isolate timed
    it, workerd's peak, and the first request and isolate memory for the third table."""
    out, _, _ = measure(
        ["node", "--experimental-websocket", EDGE, "--cold", "--wasm", ABI_WASM,
         "--snapshot", path, "--user", user, "--product", product]
    )
    cold = json.loads(out.strip().splitlines()[-1])
    return cold["restoreMs"], cold["hwm"] * 2**20, None, cold


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
    parser.add_argument("--hosts", default="native,cedar,regorus,wasmtime,node,workerd")
    args = parser.parse_args()
    hosts = args.hosts.split(",")
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    for tool in (GROUPGATE, MEMORY, WASM):
        if not tool.exists():
            sys.exit(
                f"{tool} is missing: cargo build --release -p groupgate-host -p groupgate-bench-cedar"
                " --bins --features groupgate-bench-cedar/regorus"
            )
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
        ids = first_ids(snapshot) if "workerd" in hosts else None
        for host in hosts:
            for kind, path in (("json", snapshot), ("compiled", image)):
                times, peaks, growths = [], [], []
                for _ in range(args.runs):
                    if host == "native":
                        ms, peak, growth = native(path)
                    elif host in PEERS:
                        if kind == "compiled":
                            continue
                        ms, peak, growth = peer(path, host)
                    elif host == "wasmtime":
                        if kind == "json":
                            continue
                        ms, peak, growth = wasmtime(path)
                    elif host == "workerd":
                        if kind == "json":
                            continue
                        ms, peak, growth, cold = workerd(path, *ids)
                        row.setdefault("workerd_cold", []).append(cold)
                    else:
                        ms, peak, growth = node(path, kind)
                    times.append(ms)
                    peaks.append(peak)
                    growths.append(growth)
                if times:
                    row[f"{host}_{kind}"] = (times, peaks, growths)
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
    print(
        "| size | host | JSON load ms | JSON peak MB | JSON load growth MB "
        "| restore ms | restore peak MB | restore growth MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for host in hosts:
            cells = []
            for kind in ("json", "compiled"):
                measured = r.get(f"{host}_{kind}")
                if not measured:
                    cells += ["—"] * 3
                    continue
                times, peaks, growths = measured
                growth = cell(growths, 1e6, 1) if None not in growths else "—"
                cells += [cell(times), cell(peaks, 1e6), growth]
            if cells.count("—") == len(cells):
                continue
            print(f"| `{r['size']}` | {host} | " + " | ".join(cells) + " |")
    if any(r.get("workerd_cold") for r in rows):
        print()
        print("| size | workerd: first request ms | restore in the isolate ms | isolate MB | of which module memory MB |")
        print("|---|---|---|---|---|")
        for r in rows:
            colds = r.get("workerd_cold")
            if not colds:
                continue
            pick = lambda key: [c[key] for c in colds]  # noqa: E731
            print(
                f"| `{r['size']}` | {cell(pick('firstMs'))} | {cell(pick('restoreMs'))} "
                f"| {cell(pick('isolateMB'), 1, 1)} | {cell(pick('wasmMB'), 1, 1)} |"
            )


if __name__ == "__main__":
    main()
