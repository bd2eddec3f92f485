"""Every Rusci 2018 convolution kernel (kernels_asm/cm7/rusci) bit-exact against the golden model on
small layer shapes, through the experiment runner's own path (generator -> data file -> build ->
run on the Cortex-M7 model -> output read back by symbol and compared)."""
import os
import sys

import numpy as np
import pytest

from isasim.experiments import runner

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KDIR = os.path.join(ROOT, "kernels_asm", "cm7", "rusci")
EXP = os.path.join(ROOT, "experiments", "rusci2018")
sys.path.insert(0, EXP)
import rusci2018_workload as rusci  # noqa: E402

# ci not a multiple of any kernel's channel granularity, stride 2, no padding, k = 1/3/5
SHAPES = {
    "s1_ci3_pad1": dict(shape=dict(ih=6, iw=6, ci=3, co=4, k=3, pad=1, stride=1), rows=2),
    "s2_ci20_co12_nopad": dict(shape=dict(ih=7, iw=5, ci=20, co=12, k=3, pad=0, stride=1), rows=2),
    "s3_ci40_k5_stride2": dict(shape=dict(ih=9, iw=9, ci=40, co=8, k=5, pad=2, stride=2), rows=2),
}


def point(kernel, params):
    kd = rusci.KERNELS[kernel]
    v = {"id": kernel, "target": "cm7", "sources": rusci.kernel_sources(kernel, ROOT),
         "plugins": ["qnn"] if kd["qnn"] else [], "include": rusci.include_dirs(kernel, ROOT)}
    return {"experiment": "test_rusci", "variant": v, "params": dict(kernel=kernel, seed=3, **params),
            "generator": "rusci2018_workload:conv_layer", "config_dir": EXP,
            "sweep": {"shape": params.get("shape")}}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("kernel", list(rusci.KERNELS))
def test_kernel_bit_exact(kernel, shape):
    params = SHAPES[shape]
    w = rusci.conv_layer(kernel, seed=3, **params)
    out = w["outputs"]["act_out"]
    # the expected output must be non-trivial, or a kernel writing nothing could pass
    bits = rusci.KERNELS[kernel]["bits"]
    vals = np.unpackbits(out.view(np.uint8)) if bits == 1 else out
    assert len(np.unique(vals)) >= 2 and out.any()
    row = runner.run_point(point(kernel, params), use_cache=False)   # raises GoldenMismatch
    assert row["golden"] == "bit-exact" and row["exit_code"] == 0
    assert row["macs"] == w["macs"] > 0 and row["cycles"] > 0


@pytest.mark.parametrize("kernel", ["bin_sw", "bin_xnorpc"])
def test_binary_more_than_32_output_channels(kernel):
    # 34 output channels: two output words per pixel, the second one partly filled
    params = dict(shape=dict(ih=4, iw=4, ci=32, co=34, k=1, pad=0, stride=1), rows=1)
    row = runner.run_point(point(kernel, params), use_cache=False)
    assert row["golden"] == "bit-exact"


def test_bin_sw_odd_output_channels():
    params = dict(shape=dict(ih=5, iw=4, ci=7, co=5, k=3, pad=1, stride=1), rows=2)
    assert runner.run_point(point("bin_sw", params), use_cache=False)["golden"] == "bit-exact"


def test_golden_mismatch_is_detected(monkeypatch):
    """A wrong expected output (one bit flipped) must fail the run: the check is not vacuous."""
    real = rusci.conv_layer

    def corrupted(**kw):
        w = real(**kw)
        w["outputs"]["act_out"] = w["outputs"]["act_out"].copy()
        w["outputs"]["act_out"].view(np.uint8)[3] ^= 1
        return w
    monkeypatch.setattr(rusci, "conv_layer", corrupted)
    with pytest.raises(runner.GoldenMismatch, match="differs from the golden model"):
        runner.run_point(point("int4_sw", SHAPES["s1_ci3_pad1"]), use_cache=False)


@pytest.mark.parametrize("kernel,shape,msg", [
    ("int2_sw", dict(ih=6, iw=6, ci=16, co=6, k=3, pad=1), "multiple of 4"),
    ("int2_sdot2", dict(ih=6, iw=6, ci=16, co=6, k=3, pad=1), "multiple of 4"),
    ("q7", dict(ih=6, iw=6, ci=8, co=5, k=3, pad=1), "multiple of 2"),
    ("bin_xnorpc", dict(ih=6, iw=6, ci=8, co=3, k=3, pad=1), "multiple of 2"),
    ("int4_sw", dict(ih=5, iw=5, ci=8, co=4, k=3, pad=1), "must be even"),
    ("q7", dict(ih=8, iw=8, ci=400, co=4, k=5, pad=2), "immediate offset"),
])
def test_unsupported_shapes_are_refused(kernel, shape, msg):
    with pytest.raises(ValueError, match=msg):
        rusci.conv_layer(kernel, shape=shape, rows=1)


def _ext_config(tmp_path, kernel_params):
    import shutil
    shutil.copy(os.path.join(KDIR, "mm_int2_sw.S"), tmp_path / "my_mm.S")
    p = tmp_path / "ext.yaml"
    p.write_text(f"""name: ext
workload:
  generator: rusci2018_workload:conv_layer
  params: {{seed: 5, shape: {{ih: 6, iw: 6, ci: 16, co: 4, k: 3, pad: 1, stride: 1}}, rows: 2}}
variants:
  - id: mine
    target: cm7
    params: {kernel_params}
    tags: {{unpk_latency: 1}}
    include: [{KDIR}]
    sources: [{KDIR}/conv_driver.c, {tmp_path}/my_mm.S]
""")
    return str(p)


def test_new_kernel_through_the_extension_point(tmp_path):
    """A new kernel name used to be refused (ValueError: unknown kernel) and the workaround labelled
    results with the old kernel's name; with like: it needs only its own matmul source."""
    sys.path.insert(0, EXP)
    df, _ = runner.run_experiment(_ext_config(tmp_path, "{kernel: int2_unpk2, like: int2_sw}"),
                                  out=str(tmp_path / "o"), jobs=1, quiet=True)
    r = df.iloc[0]
    assert r["kernel"] == "int2_unpk2" and r["like"] == "int2_sw" and r["golden"] == "bit-exact"
    assert r["unpk_latency"] == 1


def test_unknown_kernel_refused_at_load_with_recipe(tmp_path):
    from isasim.experiments import config as C
    with pytest.raises(Exception) as e:
        C.load(_ext_config(tmp_path, "{kernel: int2_unpk2}"))
    msg = str(e.value)
    assert "ext.yaml:6: variants[0]" in msg and "unknown kernel 'int2_unpk2'" in msg
    assert "int2_sw" in msg and "like:" in msg and "Adding a kernel" in msg


@pytest.mark.parametrize("kernel", [k for k, d in rusci.KERNELS.items()
                                    if str(d.get("source", "")).startswith("mm_")])
def test_kernel_header_counts_match_the_code(tmp_path, kernel):
    """Each matmul kernel's header says how many instructions one loop iteration executes; it
    must be what the assembled loop holds (mm_int2_sw.S said 106 where the profile showed 112)."""
    import re
    from isasim.toolchain.build import build_elf
    from isasim.disasm import disassemble
    src = os.path.join(KDIR, rusci.KERNELS[kernel]["source"])
    m = re.search(r"subs\+bne = (\d+)", open(src).read())
    assert m, f"{src}: no per-iteration count in the header"
    w = rusci.conv_layer(kernel, seed=1, **SHAPES["s1_ci3_pad1"])
    d = tmp_path / "data.S"
    d.write_text(runner._data_asm(w))
    defines = [f"{k}={v}" for k, v in w["defines"].items()]
    elf = build_elf("cm7", rusci.kernel_sources(kernel, ROOT) + [str(d)], str(tmp_path / "k.elf"),
                    include_dirs=[KDIR], defines=defines,
                    plugins=["qnn"] if rusci.KERNELS[kernel]["qnn"] else [])
    lines = list(disassemble(elf, plugins=["qnn"]))
    start = next(i for i, l in enumerate(lines) if l.endswith("<mm_kernel>:"))
    body = [l for l in lines[start + 1:] if l.startswith("  ")]
    first = next(i for i, l in enumerate(body) if re.search(r"\bmovw\s+lr\b", l)) + 1
    last = next(i for i, l in enumerate(body) if i > first and re.search(r"\bbne\b", l))
    assert last - first + 1 == int(m.group(1)), (kernel, last - first + 1)
