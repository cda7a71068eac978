"""`mix bench train` and its PyTorch eager yardstick side by side, alternated so that load hits both alike.

usage: python3 bench/train_side_by_side.py --out DIR [--rounds 2] [--threads 2] -- [flags for both]
  e.g. python3 bench/train_side_by_side.py --out /tmp/train-bench -- --layers 2 --batch 1 --steps 2

Each round runs mix4j (./mix, PyTorch intra-op threads = --threads, as torch.set_num_threads), then
bench/torch_train_step.py with OPENBLAS_CORETYPE as set here and with it unset (the faster counts as the
peer: docs/performance.md). Set TORCH_PYTHON (default /usr/bin/python3, Debian's python3-torch 1.13)
and, where libblas.so.3 is the reference BLAS, LD_LIBRARY_PATH to an OpenBLAS folder (the script checks
which BLAS torch mapped). Every run records the load average before and after and the CPU that other
processes used meanwhile (cores: /proc/stat busy time minus the run's own). Writes DIR/runs.json and
prints the per-mode ratios mix4j / PyTorch of step time (below 1: mix4j faster) per round.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def busy_seconds():
    with open("/proc/stat") as f:
        s = f.readline().split()
    return sum(int(s[i]) for i in (1, 2, 3, 6, 7)) / os.sysconf("SC_CLK_TCK")


def run(name, cmd, env, log):
    before = os.getloadavg()
    b0, t0 = busy_seconds(), time.time()
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.time() - t0
    own = usage.ru_utime + usage.ru_stime
    foreign = (busy_seconds() - b0 - own) / wall
    rec = {"peer": name, "cmd": cmd, "status": status, "wall_s": wall, "own_cpu_s": own, "foreign_cores": foreign,
           "load_before": list(before), "load_after": list(os.getloadavg()), "log": log}
    print("%-14s %6.0f s wall, foreign CPU %.2f cores, load %.1f -> %.1f%s" % (name, wall, foreign, before[0],
          rec["load_after"][0], "" if status == 0 else "  FAILED, see " + log), flush=True)
    return rec


def steps(rec, path, mix):
    """Per mode: step median seconds and tokens/s from either report."""
    with open(path) as f:
        d = json.load(f)
    out = {}
    if mix:
        for r in d["results"]:
            mode = r["subject"].split()[0]
            if r["metric"].startswith("step"):
                out.setdefault(mode, {})["step_s"] = r["median"]
            elif r["metric"] == "throughput":
                out.setdefault(mode, {})["tokens_per_s"] = r["median"]
    else:
        for mode in ("stage1", "stage2"):
            if mode in d:
                out[mode] = {"step_s": d[mode]["step_s"]["median"], "tokens_per_s": d[mode]["tokens_per_s"]["median"]}
        rec["blas"] = d["env"]["blas"]
    rec["modes"] = out
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a, rest = ap.parse_known_args()
    flags = [f for f in rest if f != "--"]
    os.makedirs(a.out, exist_ok=True)
    py = os.environ.get("TORCH_PYTHON", "/usr/bin/python3")
    mix_env = dict(os.environ, MIX_JAVA_OPTS="-Xmx8g -Dai.djl.pytorch.num_threads=%d" % a.threads)
    unset = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    records = []
    table = []
    for k in range(a.rounds):
        row = {}
        j = os.path.join(a.out, "mix-%d.json" % k)
        rec = run("mix4j", ["./mix", "bench", "train", *flags, "--json", j], mix_env, j + ".log")
        row["mix4j"] = steps(rec, j, True) if rec["status"] == 0 else {}
        records.append(rec)
        for name, env in (("torch", dict(os.environ)), ("torch-nocore", unset)):
            j = os.path.join(a.out, "%s-%d.json" % (name, k))
            rec = run(name, [py, "bench/torch_train_step.py", *flags, "--threads", str(a.threads), "--json", j],
                      env, j + ".log")
            row[name] = steps(rec, j, False) if rec["status"] == 0 else {}
            records.append(rec)
        table.append(row)
    with open(os.path.join(a.out, "runs.json"), "w") as f:
        json.dump({"flags": flags, "threads": a.threads, "runs": records, "rounds": table}, f, indent=1)
    for mode in ("stage1", "stage2"):
        ratios = []
        for k, row in enumerate(table):
            torch_s = [row[n][mode]["step_s"] for n in ("torch", "torch-nocore") if mode in row.get(n, {})]
            if mode in row.get("mix4j", {}) and torch_s:
                m, t = row["mix4j"][mode]["step_s"], min(torch_s)
                ratios.append(m / t)
                print("%s round %d: mix4j %.2f s (%.1f tok/s), PyTorch %.2f s (the faster of %s): ratio %.2f" % (
                    mode, k + 1, m, row["mix4j"][mode]["tokens_per_s"], t, ["%.2f" % s for s in torch_s], m / t))
        if ratios:
            print("%s: mix4j / PyTorch step time, median over rounds: %.2f" % (mode, statistics.median(ratios)))


if __name__ == "__main__":
    sys.exit(main())
