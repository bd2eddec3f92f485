"""numba helpers for the Cortex-M7 native hooks: integer <-> pointer casts and calls through
function addresses.

The native hooks (isasim/cores/cm7/native_hooks.py, the generated plug-in handlers) are numba
``cfunc``s that Unicorn calls directly, with no Python in between. They call Unicorn's C API
(uc_reg_read, uc_reg_write, uc_mem_read, uc_emu_stop) and, for rare events, Python callbacks
(ctypes function pointers). The addresses of all of these are passed at run time in the hook's
context array, never baked into the compiled code: numba's on-disk cache must stay valid in the
next process, where libunicorn and the callbacks live at other addresses.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic

_VP = cgutils.voidptr_t
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_I8 = ir.IntType(8)


@intrinsic
def ptr(typingctx, x):
    """voidptr from an int64 address."""
    sig = types.voidptr(types.int64)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], _VP)
    return sig, codegen


@intrinsic
def addr_of(typingctx, p):
    """int64 address of a voidptr."""
    sig = types.int64(types.voidptr)

    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], _I64)
    return sig, codegen


def _fn(builder, addr, ret, argtys):
    return builder.inttoptr(addr, ir.FunctionType(ret, argtys).as_pointer())


@intrinsic
def call_reg(typingctx, fn, uc, regid, buf):
    """int32 fn(void *uc, int32 regid, void *value): uc_reg_read / uc_reg_write."""
    sig = types.int32(types.int64, types.voidptr, types.int32, types.voidptr)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], _I32, [_VP, _I32, _VP])
        return builder.call(f, [args[1], args[2], args[3]])
    return sig, codegen


@intrinsic
def call_mem(typingctx, fn, uc, address, buf, size):
    """int32 fn(void *uc, uint64 address, void *bytes, uint64 size): uc_mem_read."""
    sig = types.int32(types.int64, types.voidptr, types.int64, types.voidptr, types.int64)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], _I32, [_VP, _I64, _VP, _I64])
        return builder.call(f, [args[1], args[2], args[3], args[4]])
    return sig, codegen


@intrinsic
def call_uc(typingctx, fn, uc):
    """int32 fn(void *uc): uc_emu_stop."""
    sig = types.int32(types.int64, types.voidptr)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], _I32, [_VP])
        return builder.call(f, [args[1]])
    return sig, codegen


@intrinsic
def call_intr(typingctx, fn, uc, intno, ud):
    """void fn(void *uc, uint32 intno, void *user_data): a Python UC_HOOK_INTR callback."""
    sig = types.void(types.int64, types.voidptr, types.uint32, types.voidptr)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], ir.VoidType(), [_VP, _I32, _VP])
        builder.call(f, [args[1], args[2], args[3]])
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def call_invalid(typingctx, fn, uc, ud):
    """bool fn(void *uc, void *user_data): a Python UC_HOOK_INSN_INVALID callback (as int32)."""
    sig = types.int32(types.int64, types.voidptr, types.voidptr)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], _I8, [_VP, _VP])
        r = builder.call(f, [args[1], args[2]])
        return builder.zext(r, _I32)
    return sig, codegen


@intrinsic
def call_i64(typingctx, fn, x):
    """int64 fn(int64): a Python callback of the block engine (misses)."""
    sig = types.int64(types.int64, types.int64)

    def codegen(context, builder, signature, args):
        f = _fn(builder, args[0], _I64, [_I64])
        return builder.call(f, [args[1]])
    return sig, codegen
