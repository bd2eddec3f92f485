"""Cortex-M7 model vs silicon on the microbenchmarks with a measured throughput (isasim/timing/
calibration.py): prints measured and model cycles per iteration, the error of each, and the
largest error. Usage: python benchmarks/calibration_cm7.py [--timing KEY=VALUE ...]"""
import argparse
import sys

from isasim.report.calibration import table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timing", nargs="*", default=[], metavar="KEY=VALUE")
    a = ap.parse_args(argv)
    timing = dict(kv.split("=", 1) for kv in a.timing)
    rows = table(timing)
    print(f"{'microbenchmark':20s} {'measured':>9s} {'model':>7s} {'error':>8s}  source")
    for name, meas, model, err, src in rows:
        print(f"{name:20s} {meas:9.2f} {model:7.2f} {err:+7.1f}%  {src}")
    worst = max(rows, key=lambda r: abs(r[3]))
    exact = sum(1 for r in rows if r[2] == r[1])
    print(f"calibration: {len(rows)} microbenchmarks with a measured throughput, {exact} exact, "
          f"largest error {worst[3]:+.1f} % ({worst[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
