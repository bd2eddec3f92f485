"""Thumb-2 plug-in instructions on the Cortex-M7: load-time checks and trap registrations.

Each (coprocessor, CX kind) used by a plug-in gets one registration whose handler decodes the
trapped word with the instruction table, evaluates the plug-in's semantics on the register values
and writes the results; its cost is looked up per instruction from the plug-in's ``cost`` knobs.

The descriptions were checked when loaded (isasim.plugins.thumb2.check_plugin): a CDE
instruction's registers come from the CDE layout, and they are the ones its semantics uses.
"""
from ...errors import SimError
from ...isa import semantics
from ...plugins import cde
from .traps import Cost, Registration

def _kind(ins):
    """(coprocessor, trap kind) of a plug-in instruction, from the CDE/UDF layout."""
    form = cde.form_of(ins.match, ins.mask)
    if form in (None, "udf", "udf.w"):
        return None, "udf"
    return cde.FORMS[form].decode_fields(ins.match)["cp"], form



class PluginTraps:
    def __init__(self, table):
        self.table = table
        self.counts = {}
        groups = {}
        for ins in table.instrs:
            groups.setdefault(_kind(ins), []).append(ins)
        self.registrations = []
        for (cp, kind), instrs in groups.items():
            names = "/".join(i.name for i in instrs)
            if kind == "udf":
                self.registrations.append(Registration("udf", self._handle, self._cost, name=names,
                                                       describe=self.describe))
            else:
                self.registrations.append(Registration("cde", self._handle, self._cost, coproc=cp,
                                                       kinds=(kind,), name=names,
                                                       describe=self.describe))

    def _lookup(self, word):
        ins, vals = self.table.decode(word, 4)
        if ins is None:
            raise SimError(f"coprocessor/UDF instruction 0x{word:08x} matches no loaded plug-in "
                           f"instruction")
        return ins, vals

    def describe(self, word):
        """Trace/disassembly text of a plug-in instruction word, by its plug-in name."""
        from ...isa.disasm import format_instr
        ins, vals = self.table.decode(word, 4)
        return format_instr(ins, vals) if ins is not None else f".inst.w 0x{word:08x}"

    def _cost(self, dec):
        """Cost of one trapped word. Registers: a CDE form's come from its layout (the decoder's
        reads/writes, which check_plugin made equal to the description's); UDF.W has none of its
        own, so they come from the description (semantics parameters, ``writes``)."""
        ins, vals = self._lookup(dec.word)
        c = ins.cost
        reads = writes = ()
        if dec.kind == "udf":
            reads = tuple(vals[p] for p in semantics.registers_read(ins))
            if ins.params.get("load"):
                reads += (vals["rn"],)
            writes = tuple(vals["rd"] + 1 if w == "rd1" else vals[w]
                           for w in ins.params.get("writes", ("rd",)))
        if ins.params.get("load", {}).get("post_increment"):
            writes = tuple(writes or dec.writes) + (vals["rn"],)    # the base register is written too
        return Cost(latency=int(c.get("latency", 1)), occupancy=int(c.get("occupancy", 1)),
                    resource=c.get("resource", "alu"), dual_issue=bool(c.get("dual_issue", False)),
                    begin_group=bool(c.get("begin_group", False)), reads=reads, writes=writes)

    def _handle(self, ctx):
        ins, vals = self._lookup(ctx.word)
        ld = ins.params.get("load")      # memory through the same API as on RI5CY: Mem[rn] -> mem
        mem = None
        if ld:
            a = ctx.read(vals["rn"])
            mem = int.from_bytes(ctx.mem_read(a, int(ld.get("size", 4))), "little")
        try:
            outs = semantics.call(ins, vals, ctx.read, pc=ctx.pc, mem=mem)
        except semantics.SemanticsError as e:
            raise SimError(str(e))
        except Exception as e:
            raise SimError(f"{ins.source}: {ins.name} at pc 0x{ctx.pc:08x}: semantics raised "
                           f"{type(e).__name__}: {e}")
        if ld and ld.get("post_increment"):
            ctx.write(vals["rn"], ctx.read(vals["rn"]) + int(ld["post_increment"]))
        for name, v in zip(semantics.writes(ins), outs):
            ctx.write(vals["rd"] + 1 if name == "rd1" else vals[name], v)
        self.counts[ins.name] = self.counts.get(ins.name, 0) + 1

    def energy_pj(self):
        by = {i.name: i for i in self.table.instrs}
        return sum(n * float(by[k].cost.get("energy_pj", 0.0)) for k, n in self.counts.items())

    def macs(self):
        by = {i.name: i for i in self.table.instrs}
        return sum(n * by[k].params.get("macs", 0) for k, n in self.counts.items())
