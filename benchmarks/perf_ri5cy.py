"""Where the RISC-V engine's time goes: Linux ``perf`` samples of the compiled code, by address.

Runs bench_ri5cy's workload (the PULP-NN 4x2 int8 matmul loop, timing on; ``--target gap8``:
bench_gap8's 8-core cluster kernel, the engine inside the cluster's window loop) under
``perf record``; numba's machine code has no symbols for perf, so the process copies its executable
anonymous mappings (the JIT code) to files before it exits, and this script attributes the samples
to them and disassembles the hottest stretches with capstone.

    python benchmarks/perf_ri5cy.py [--target ri5cy|gap8] [--instructions 40000000] [--top 6]
                                    [--width 128]

Printed: the share of all samples in the JIT code, then the hottest ``--width``-byte blocks of it
(share of the JIT samples) and the disassembly of the ``--top`` hottest with each instruction's
sample count. Needs ``perf`` (and perf_event_paranoid <= 2); exits 2 with one line without it.
Sample counts carry skid: a sample usually lands on the instruction after the slow one.
"""
import argparse
import collections
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg):
    """One line on stderr, exit 2."""
    print(f"perf_ri5cy: {msg}", file=sys.stderr)
    sys.exit(2)


def child(target, instructions, out):
    """Run the workload, then dump the JIT code mappings to ``out``."""
    with tempfile.TemporaryDirectory() as d:
        if target == "gap8":
            import bench_gap8
            from isasim.platforms.gap8 import run_cluster
            # bench_gap8's default (1500 repetitions) runs 10.9 M instructions on 8 cores
            run_cluster(bench_gap8.kernel_elf(d, max(1, instructions * 1500 // 10_900_000)),
                        cores=8)
        else:
            import bench_ri5cy
            from isasim.cores.ri5cy.core import RI5CY
            RI5CY(bench_ri5cy.xpulp_elf(d, instructions)).run()
    regions = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if "x" in parts[1] and len(parts) == 5 and hi - lo < 64 << 20:     # anonymous, executable
                fn = os.path.join(out, f"jit_{lo:x}.bin")
                with open(fn, "wb") as g:
                    g.write(ctypes.string_at(lo, hi - lo))
                regions.append((lo, hi, fn))
    with open(os.path.join(out, "regions.json"), "w") as f:
        json.dump(regions, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", choices=("ri5cy", "gap8"), default="ri5cy")
    ap.add_argument("--instructions", type=int, default=40_000_000)
    ap.add_argument("--top", type=int, default=6, help="hottest blocks to disassemble")
    ap.add_argument("--width", type=int, default=128, help="block size in bytes")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.target, a.instructions, a.child)
    if shutil.which("perf") is None:
        fail("'perf' is not installed (Linux perf is needed to sample the engine)")
    from capstone import Cs, CS_ARCH_X86, CS_MODE_64
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "perf.data")
        rec = subprocess.run(["perf", "record", "-q", "-F", "4000", "-o", data, sys.executable,
                              os.path.abspath(__file__), "--target", a.target,
                              "--instructions", str(a.instructions),
                              "--child", d], capture_output=True, text=True)
        if rec.returncode != 0:
            last = (rec.stderr.strip().splitlines() or ["no output"])[-1]
            fail(f"perf record failed (exit {rec.returncode}): {last}")
        ips = collections.Counter(int(x, 16) for x in subprocess.run(
            ["perf", "script", "-i", data, "-F", "ip"], capture_output=True, text=True,
            check=True).stdout.split())
        with open(os.path.join(d, "regions.json")) as f:
            regions = json.load(f)
        total = sum(ips.values())
        jit = {k: v for k, v in ips.items() if any(lo <= k < hi for lo, hi, _ in regions)}
        n_jit = sum(jit.values())
        if not n_jit:
            fail("no samples in JIT code (is the engine compiled? NUMBA_DISABLE_JIT?)")
        print(f"{total} samples, {n_jit} ({100 * n_jit / total:.1f} %) in JIT code "
              f"(the rest: start-up, build, numba's cache load); shares below are of the JIT samples")
        blocks = collections.Counter()
        for k, v in jit.items():
            blocks[k - k % a.width] += v
        md = Cs(CS_ARCH_X86, CS_MODE_64)
        code = {}
        for lo, hi, fn in regions:
            with open(fn, "rb") as f:
                code[lo] = (hi, f.read())
        print(f"hottest {a.width}-byte blocks:")
        for b, v in blocks.most_common(12):
            print(f"  {b:#x}  {100 * v / n_jit:5.1f} %")
        for b, v in blocks.most_common(a.top):
            lo = next(x for x, (hi, _) in code.items() if x <= b < hi)
            raw = code[lo][1]
            print(f"\nblock {b:#x} ({100 * v / n_jit:.1f} %):")
            # decode from a little before the block, on an instruction boundary found by decoding
            # forward from the region start (numba's functions are contiguous)
            start = None
            for ins in md.disasm(raw, lo):
                if ins.address >= b + a.width:
                    break
                if ins.address >= b - 16 and start is None:
                    start = ins.address
                if start is not None:
                    print(f"  {jit.get(ins.address, 0):5d}  {ins.address:#x}  {ins.mnemonic} {ins.op_str}")


if __name__ == "__main__":
    main()
