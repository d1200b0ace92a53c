"""The IR builder methods (tcgkit.tcg.builders): one per op family of the op table,
each emitting the family's op for the width of its first temp, operands checked."""

from __future__ import annotations

import inspect

import pytest
from tcgkit.tcg.builders import IRBuilder
from tcgkit.tcg.context import TCGContext
from tcgkit.tcg.ops import OPS
from tcgkit.tcg.types import I32, I64, Cond

_FLOAT = {I32: "f32", I64: "f64"}


def _families() -> dict[str, dict]:
    """op family name -> {width: op name}, for every op named base_<width suffix>."""
    out: dict[str, dict] = {}
    for d in OPS.values():
        if d.type is None:
            continue
        if d.name == f"{d.base}_{d.type.suffix}" or d.name == f"{d.base}_{_FLOAT[d.type]}":
            out.setdefault(d.base, {})[d.type] = d.name
    return out


def _method(base: str) -> str:
    return base + "_" if base in ("and", "or", "not") else base


def _ctx() -> TCGContext:
    ctx = TCGContext(64)
    ctx.freeze()
    return ctx.clone("t")


def _args(ctx: TCGContext, opc: str, width) -> list:
    """Arguments for one op: temps of the wanted types, small constants, a label."""
    d = OPS[opc]
    args: list = [ctx.temp(d.type) for _ in range(d.n_out)]
    args += [ctx.temp(ty if ty is not None else width) for ty in d.in_types]
    for name in d.consts:
        args.append(ctx.label() if name == "label" else Cond.EQ if name == "cond" else 1)
    return args


@pytest.mark.parametrize("base", sorted(_families()))
def test_every_family_has_its_method_and_picks_the_width(base: str) -> None:
    name = _method(base)
    assert name in vars(IRBuilder), f"IRBuilder has no method for the op family {base!r}"
    for width, opc in _families()[base].items():
        ctx = _ctx()
        args = _args(ctx, opc, width)
        if base == "brcond":  # (cond, a, b, label), as the targets write it
            getattr(ctx, name)(args[2], args[0], args[1], args[3])
        else:
            getattr(ctx, name)(*args)
        assert [op.opc for op in ctx.ops] == [opc]


@pytest.mark.parametrize("opc", ["fcvt_f64_f32", "fcvt_f32_f64", "itof_f32", "itof_f64",
                                 "ftoi_f32", "ftoi_f64", "extrl_i64_i32", "extrh_i64_i32",
                                 "extu_i32_i64", "ext_i32_i64"])  # fmt: skip
def test_conversions_have_methods_named_as_the_op(opc: str) -> None:
    ctx = _ctx()
    getattr(ctx, opc)(*_args(ctx, opc, None))
    assert [op.opc for op in ctx.ops] == [opc]


def test_methods_declare_their_operands() -> None:
    """Written out (not made at import): a type checker sees each signature."""
    params = list(inspect.signature(IRBuilder.setcond).parameters)
    assert params == ["self", "out", "a", "b", "cond"]
    assert "out" in inspect.signature(IRBuilder.add).parameters


def test_ints_become_constants_of_the_input_width() -> None:
    ctx = _ctx()
    out = ctx.temp(I32)
    op = ctx.add(out, out, 0x1_0000_0005)
    assert op.opc == "add_i32"
    c = op.args[2]
    assert c.is_const and c.type is I32 and c.value == 5
    assert ctx.add(ctx.temp(I32), out, 5).args[2] is c  # shared within the TB


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda ctx: ctx.add(ctx.temp(I64), ctx.temp(I32), 1), "the op wants i64"),
        (lambda ctx: ctx.add(ctx.const(I64, 1), ctx.temp(I64), 1), "cannot write to the constant"),
        (lambda ctx: ctx.bswap64(ctx.temp(I32), ctx.temp(I32)), "bswap64 has no i32 form"),
        (lambda ctx: ctx.st(1, 8), "st: needs at least one temp"),
        # pure: emit_def's check; compiled: the method's own argument check
        (lambda ctx: ctx.add(ctx.temp(I64), "x", 1), r"input must be a Temp|Temp, int\] object"),
        (
            lambda ctx: ctx.add(5, ctx.temp(I64), 1),
            r"output must be a Temp|Temp object expected; got int",
        ),
        (
            lambda ctx: ctx.mov(None, ctx.temp(I64)),
            r"output must be a Temp|Temp object expected; got None",
        ),
    ],
)
def test_bad_operands_raise_type_errors_naming_the_op(build, message: str) -> None:
    ctx = _ctx()
    with pytest.raises(TypeError, match=message):
        build(ctx)
    assert ctx.ops == []
