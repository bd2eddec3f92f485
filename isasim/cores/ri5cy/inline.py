"""Inlining of table semantics into the generated RI5CY engine: a ``sem`` lambda's body is copied
into the engine with its parameters replaced by engine expressions, closure and global constants
folded, and the helpers it calls imported (jitted) into the engine module."""
import ast
import builtins
import inspect
import os
import types

_file_trees = {}

# Helper arguments passed as run-time values (np.int64(...)) although the semantics gives them as
# constants: numba compiles a helper once per combination of constant ("literal") arguments, and
# the packed-SIMD helper is called with ~60 of them (about 17 s of a cold start with all three
# constant; with the operation code still constant, ~8 s in each of the two compiling processes,
# numba's compile events). Now it is compiled once; a SIMD op pays a run-time branch per lane.
# The 16x16 multiplier helper likewise (24 constant combinations, ~2 s).
RUNTIME_ARGS = {("isasim.isa.helpers", "simd"): ("bits", "op", "sa"),
                ("isasim.isa.xpulpv2", "_mac16"): ("rd", "n", "hh", "signed", "rnd")}


def _lambda_node(fn):
    """The ast.Lambda of a lambda function, found in its source file by line and argument names."""
    if fn.__name__ != "<lambda>":
        return None
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return None
    if not path or not os.path.isfile(path):
        return None
    if path not in _file_trees:
        with open(path) as f:
            by_line = {}
            for n in ast.walk(ast.parse(f.read())):
                if isinstance(n, ast.Lambda):
                    by_line.setdefault(n.lineno, []).append(n)
            _file_trees[path] = by_line
    args = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
    cands = [n for n in _file_trees[path].get(fn.__code__.co_firstlineno, ())
             if [a.arg for a in n.args.args] == args]
    if not cands or len({ast.dump(c.body) for c in cands}) != 1:
        return None
    return cands[0]


class _Inliner(ast.NodeTransformer):
    def __init__(self, fn, argmap, imports):
        self.fn, self.argmap, self.imports = fn, argmap, imports
        self.free = dict(zip(fn.__code__.co_freevars, [c.cell_contents for c in (fn.__closure__ or ())]))
        self.ok = True

    def visit_Name(self, node):
        n = node.id
        if n in self.argmap:
            return ast.parse(self.argmap[n], mode="eval").body
        if n in self.free:
            v = self.free[n]
        elif n in self.fn.__globals__:
            v = self.fn.__globals__[n]
        elif hasattr(builtins, n):
            return node
        else:
            self.ok = False
            return node
        if isinstance(v, (bool, int, float)):
            return ast.Constant(v)
        if isinstance(v, types.FunctionType):
            alias = f"_g_{v.__module__.replace('.', '_')}_{v.__name__}"
            self.imports[alias] = (v.__module__, v.__qualname__)
            return ast.Name(alias, ast.Load())
        self.ok = False
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in self.imports:
            target = self.imports[f.id]
            names = RUNTIME_ARGS.get(target)
            if names:
                fn = self._resolve(target)
                params = list(inspect.signature(fn).parameters)
                for k, a in enumerate(node.args):
                    if k < len(params) and params[k] in names:
                        node.args[k] = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "int64",
                                                              ast.Load()), [a], [])
        return node

    @staticmethod
    def _resolve(target):
        import importlib
        obj = importlib.import_module(target[0])
        for part in target[1].split("."):
            obj = getattr(obj, part)
        return obj

    def visit_Lambda(self, node):       # nested lambdas are not inlined
        self.ok = False
        return node


def inline_call(fn, argmap, imports):
    """Source text of ``fn``'s body with its parameters replaced by engine expressions, closure
    and global constants folded, and called helpers imported (jitted) into the engine module;
    None if the function cannot be inlined (it is then called as a separately jitted function)."""
    lam = _lambda_node(fn)
    if lam is None:
        return None
    local = {}
    tr = _Inliner(fn, argmap, local)
    body = tr.visit(ast.parse(ast.unparse(lam.body), mode="eval").body)
    if not tr.ok:
        return None
    imports.update(local)
    return "(" + ast.unparse(body) + ")"

