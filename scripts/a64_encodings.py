"""The A64 user-level instruction set as bit patterns, by encoding class: the data
``a64_coverage.py`` measures the aarch64 decoder against.

Owns ``classes()``: (top-level group, encoding class, instructions), each
instruction a mnemonic and one or more patterns written most significant bit first:
``0``/``1`` are the fixed bits that select the instruction, an upper-case letter a
field swept over all its values (size, Q, sf, ftype...), any other character an
operand bit. Written from the Arm ARM's A64 encoding index (facts only).
"""

from __future__ import annotations

#: concrete words per combination of a pattern's swept fields
WORDS_PER_COMBINATION = 2
#: missing or partial mnemonics listed per class before "+N more"
LIST_LIMIT = 20

DPI = "Data processing -- immediate"
BES = "Branches, exception generating and system"
LS = "Loads and stores"
DPR = "Data processing -- register"
FPS = "Data processing -- SIMD and floating point"
GROUPS = (DPI, BES, LS, DPR, FPS)

Entry = tuple  # (mnemonic, pattern) or (mnemonic, pattern, variant label)


def _bits(n: int, width: int) -> str:
    return format(n, f"0{width}b")


# -- pattern builders for the regular AdvSIMD and FP classes ------------------------------


def v3same(u, size, opc):
    return f"0Q{u}01110 {size}1 ..... {opc}1 ..... ....."


def s3same(u, size, opc):
    return f"01{u}11110 {size}1 ..... {opc}1 ..... ....."


def v3same_h(u, a, opc):
    return f"0Q{u}01110 {a}10 ..... 00{opc}1 ..... ....."


def s3same_h(u, a, opc):
    return f"01{u}11110 {a}10 ..... 00{opc}1 ..... ....."


def v3ext(u, size, opc, q="Q"):
    return f"0{q}{u}01110 {size}0 ..... 1{opc}1 ..... ....."


def s3ext(u, size, opc):
    return f"01{u}11110 {size}0 ..... 1{opc}1 ..... ....."


def v2misc(u, size, opc):
    return f"0Q{u}01110 {size}10000 {opc}10 ..... ....."


def s2misc(u, size, opc):
    return f"01{u}11110 {size}10000 {opc}10 ..... ....."


def v2misc_h(u, a, opc):
    return f"0Q{u}01110 {a}111100 {opc}10 ..... ....."


def s2misc_h(u, a, opc):
    return f"01{u}11110 {a}111100 {opc}10 ..... ....."


def vacross(u, size, opc):
    return f"0Q{u}01110 {size}11000 {opc}10 ..... ....."


def spair(u, size, opc):
    return f"01{u}11110 {size}11000 {opc}10 ..... ....."


def v3diff(u, size, opc):
    return f"0Q{u}01110 {size}1 ..... {opc}00 ..... ....."


def s3diff(u, size, opc):
    return f"01{u}11110 {size}1 ..... {opc}00 ..... ....."


def velem(u, size, opc, q="Q"):
    return f"0{q}{u}01111 {size}.. .... {opc}.0 ..... ....."


def selem(u, size, opc):
    return f"01{u}11111 {size}.. .... {opc}.0 ..... ....."


#: immh per element size (0000 is the modified-immediate class)
IMMH = (("0001", "8-bit"), ("001.", "16-bit"), ("01..", "32-bit"), ("1...", "64-bit"))


def vshift(u, opc):
    return [(f"0Q{u}011110 {h} ... {opc}1 ..... .....", label) for h, label in IMMH]


def sshift(u, opc):
    return [(f"01{u}111110 {h} ... {opc}1 ..... .....", label) for h, label in IMMH]


#: ftype values of the scalar FP classes (10 is reserved but for BFCVT, listed apart)
FTYPES = (("00", "single"), ("01", "double"), ("11", "half"))


def _ftypes(entries: list) -> list:
    """Entries with an ftype field (``TT``) split into one labelled variant per type."""
    out = []
    for mn, pat, *label in entries:
        if "TT" not in pat:
            out.append((mn, pat, *label))
            continue
        for ft, name in FTYPES:
            out.append((mn, pat.replace("TT", ft), name))
    return out


def _table(builder, rows):
    """Entries from (mnemonic, args...) rows; a builder returning a list gives variants,
    as patterns or (pattern, label); a last argument ``@label`` labels the row."""
    out = []
    for mn, *args in rows:
        label = args.pop()[1:] if args[-1].startswith("@") else ""
        pats = builder(*args)
        for p in pats if isinstance(pats, list) else [pats]:
            pat, lab = p if isinstance(p, tuple) else (p, label)
            out.append((mn, pat, lab) if lab else (mn, pat))
    return out


# -- the encoding table ---------------------------------------------------------------------


def _ldst_imm9(idx: str, names: dict[str, str], simd: bool = True, prfm: str = "") -> list:
    """A load/store register class with a 9-bit immediate; ``idx`` is bits 11:10."""
    base = "SS111{v}00 {opc}0 ......... " + idx + " ..... ....."
    rows = [
        ("B", "00", "0", "00", "ST*B"), ("B", "00", "0", "01", "LD*B"),
        ("B", "00", "0", "1X", "LD*SB"), ("H", "01", "0", "00", "ST*H"),
        ("H", "01", "0", "01", "LD*H"), ("H", "01", "0", "1X", "LD*SH"),
        ("", "1S", "0", "00", "ST*"), ("", "1S", "0", "01", "LD*"),
        ("", "10", "0", "10", "LD*SW"),
    ]  # fmt: skip
    out = []
    for _, size, v, opc, name in rows:
        out.append((name.replace("*", names["*"]), size + base[2:].format(v=v, opc=opc)))
    if prfm:
        out.append((prfm, "11" + base[2:].format(v="0", opc="10")))
    if simd:
        st = names["*"].replace("*", "")
        out.append((f"ST{st} (SIMD&FP)", base.format(v="1", opc="00")))
        out.append((f"ST{st} (SIMD&FP)", "00" + base[2:].format(v="1", opc="10")))
        out.append((f"LD{st} (SIMD&FP)", base.format(v="1", opc="01")))
        out.append((f"LD{st} (SIMD&FP)", "00" + base[2:].format(v="1", opc="11")))
    return out


def _ldst_other(base: str, prfm: str) -> list:
    """Register-offset or unsigned-offset class: ``base`` has {v} and {opc}, size first."""
    rows = [
        ("STRB", "00", "0", "00"), ("LDRB", "00", "0", "01"), ("LDRSB", "00", "0", "1X"),
        ("STRH", "01", "0", "00"), ("LDRH", "01", "0", "01"), ("LDRSH", "01", "0", "1X"),
        ("STR", "1S", "0", "00"), ("LDR", "1S", "0", "01"), ("LDRSW", "10", "0", "10"),
        (prfm, "11", "0", "10"),
        ("STR (SIMD&FP)", "SS", "1", "00"), ("STR (SIMD&FP)", "00", "1", "10"),
        ("LDR (SIMD&FP)", "SS", "1", "01"), ("LDR (SIMD&FP)", "00", "1", "11"),
    ]  # fmt: skip
    return [(mn, size + base.format(v=v, opc=opc)) for mn, size, v, opc in rows]


def _pair(idx: str) -> list:
    """A load/store pair class; ``idx`` is bits 24:23."""
    out = [
        ("STP", f"S0101 00{idx}0 ....... ..... ..... ....."),
        ("LDP", f"S0101 00{idx}1 ....... ..... ..... ....."),
        ("STP (SIMD&FP)", f"SS101 10{idx}0 ....... ..... ..... ....."),
        ("LDP (SIMD&FP)", f"SS101 10{idx}1 ....... ..... ..... ....."),
    ]
    if idx != "00":
        out.append(("LDPSW", f"01101 00{idx}1 ....... ..... ..... ....."))
        out.append(("STGP", f"01101 00{idx}0 ....... ..... ..... ....."))
    return out


def _sysreg(mnemonic: str, l_bit: str, regs: dict[str, tuple[int, int, int, int]]) -> list:
    return [
        (mnemonic, "1101010100" + l_bit + "11" + _bits(op1, 3) + _bits(crn, 4) + _bits(crm, 4)
         + _bits(op2, 3) + ".....", name)
        for name, (op1, crn, crm, op2) in regs.items()
    ]  # fmt: skip


SYSREGS_RW = {
    "NZCV": (3, 4, 2, 0), "FPCR": (3, 4, 4, 0), "FPSR": (3, 4, 4, 1), "DIT": (3, 4, 2, 5),
    "SSBS": (3, 4, 2, 6), "TCO": (3, 4, 2, 7), "TPIDR_EL0": (3, 13, 0, 2),
}  # fmt: skip
SYSREGS_RO = {
    "TPIDRRO_EL0": (3, 13, 0, 3), "CTR_EL0": (3, 0, 0, 1), "DCZID_EL0": (3, 0, 0, 7),
    "CNTFRQ_EL0": (3, 14, 0, 0), "CNTPCT_EL0": (3, 14, 0, 1), "CNTVCT_EL0": (3, 14, 0, 2),
    "RNDR": (3, 2, 4, 0), "RNDRRS": (3, 2, 4, 1), "MIDR_EL1": (0, 0, 0, 0),
    "MPIDR_EL1": (0, 0, 0, 5), "ID_AA64ISAR0_EL1": (0, 0, 6, 0),
}  # fmt: skip

HINT = "11010101000000110010"
BARRIER = "11010101000000110011"


def classes() -> list[tuple[str, str, list]]:
    c: list[tuple[str, str, list]] = []

    # -- data processing, immediate
    c.append(
        (
            DPI,
            "PC-rel. addressing",
            [
                ("ADR", "0..10000 ................... ....."),
                ("ADRP", "1..10000 ................... ....."),
            ],
        )
    )
    c.append(
        (
            DPI,
            "Add/subtract (immediate)",
            [
                (mn, f"F{op}100010H ............ ..... .....")
                for mn, op in (("ADD", "00"), ("ADDS", "01"), ("SUB", "10"), ("SUBS", "11"))
            ],
        )
    )
    c.append(
        (
            DPI,
            "Add/subtract (immediate, with tags)",
            [
                ("ADDG", "1001000110 ...... 00 .... ..... ....."),
                ("SUBG", "1101000110 ...... 00 .... ..... ....."),
            ],
        )
    )
    c.append(
        (
            DPI,
            "Min/max (immediate)",
            [
                (mn, f"F00100011 1{opc} ........ ..... .....")
                for mn, opc in (
                    ("SMAX", "0000"),
                    ("UMAX", "0001"),
                    ("SMIN", "0010"),
                    ("UMIN", "0011"),
                )
            ],
        )
    )
    c.append(
        (
            DPI,
            "Logical (immediate)",
            [
                (mn, f"F{opc}100100N ...... ...... ..... .....")
                for mn, opc in (("AND", "00"), ("ORR", "01"), ("EOR", "10"), ("ANDS", "11"))
            ],
        )
    )
    c.append(
        (
            DPI,
            "Move wide (immediate)",
            [
                (mn, f"F{opc}100101HH ................ .....")
                for mn, opc in (("MOVN", "00"), ("MOVZ", "10"), ("MOVK", "11"))
            ],
        )
    )
    c.append(
        (
            DPI,
            "Bitfield",
            [
                (mn, f"F{opc}100110N ...... ...... ..... .....")
                for mn, opc in (("SBFM", "00"), ("BFM", "01"), ("UBFM", "10"))
            ],
        )
    )
    c.append((DPI, "Extract", [("EXTR", "F00100111N0 ..... ...... ..... .....")]))

    # -- branches, exception generating and system
    c.append(
        (
            BES,
            "Conditional branch (immediate)",
            [
                ("B.cond", "01010100 ................... 0 ...."),
                ("BC.cond", "01010100 ................... 1 ...."),
            ],
        )
    )
    c.append(
        (
            BES,
            "Exception generation",
            [
                ("SVC", "11010100000 ................ 00001"),
                ("BRK", "11010100001 ................ 00000"),
            ],
        )
    )
    c.append(
        (
            BES,
            "System instructions with register argument",
            [
                ("WFET", "11010101000000110001 0000 000 ....."),
                ("WFIT", "11010101000000110001 0000 001 ....."),
            ],
        )
    )
    hints = [
        ("NOP", "0000000"), ("YIELD", "0000001"), ("WFE", "0000010"), ("WFI", "0000011"),
        ("SEV", "0000100"), ("SEVL", "0000101"), ("DGH", "0000110"), ("XPACLRI", "0000111"),
        ("PACIA1716", "0001000"), ("PACIB1716", "0001010"), ("AUTIA1716", "0001100"),
        ("AUTIB1716", "0001110"), ("ESB", "0010000"), ("PSB CSYNC", "0010001"),
        ("TSB CSYNC", "0010010"), ("CSDB", "0010100"), ("CLRBHB", "0010110"),
        ("PACIAZ", "0011000"), ("PACIASP", "0011001"), ("PACIBZ", "0011010"),
        ("PACIBSP", "0011011"), ("AUTIAZ", "0011100"), ("AUTIASP", "0011101"),
        ("AUTIBZ", "0011110"), ("AUTIBSP", "0011111"), ("BTI", "0100TT0"),
    ]  # fmt: skip
    c.append((BES, "Hints", [(mn, f"{HINT} {f} 11111") for mn, f in hints]))
    c.append(
        (
            BES,
            "Barriers",
            [
                ("CLREX", f"{BARRIER} .... 010 11111"),
                ("DSB", f"{BARRIER} CCCC 100 11111"),
                ("DMB", f"{BARRIER} CCCC 101 11111"),
                ("ISB", f"{BARRIER} .... 110 11111"),
                ("SB", f"{BARRIER} 0000 111 11111"),
                ("DSB nXS", f"{BARRIER} CC10 001 11111"),
            ],
        )
    )
    c.append(
        (
            BES,
            "PSTATE",
            [
                ("CFINV", "1101010100000 000 0100 0000 000 11111"),
                ("XAFLAG", "1101010100000 000 0100 0000 001 11111"),
                ("AXFLAG", "1101010100000 000 0100 0000 010 11111"),
                ("MSR (immediate)", "1101010100000 011 0100 000I 001 11111", "SSBS"),
                ("MSR (immediate)", "1101010100000 011 0100 000I 010 11111", "DIT"),
                ("MSR (immediate)", "1101010100000 011 0100 000I 100 11111", "TCO"),
            ],
        )
    )
    sys_ops = [
        ("DC ZVA", "0100001"), ("DC GVA", "0100011"), ("DC GZVA", "0100100"),
        ("DC CVAC", "1010001"), ("DC CVAU", "1011001"), ("DC CVAP", "1100001"),
        ("DC CVADP", "1101001"), ("DC CIVAC", "1110001"), ("IC IVAU", "0101001"),
        ("CFP RCTX", "0011100"), ("DVP RCTX", "0011101"), ("CPP RCTX", "0011111"),
    ]  # fmt: skip
    c.append(
        (
            BES,
            "System instructions",
            [(mn, f"1101010100 0 01 011 0111 {f} .....") for mn, f in sys_ops],
        )
    )
    c.append((BES, "System register move",
              _sysreg("MRS", "1", {**SYSREGS_RW, **SYSREGS_RO})
              + _sysreg("MSR (register)", "0", SYSREGS_RW)))  # fmt: skip
    ubr = "1101011 {opc} 11111 {op3} {rn} {op4}"
    c.append(
        (
            BES,
            "Unconditional branch (register)",
            [
                ("BR", ubr.format(opc="0000", op3="000000", rn=".....", op4="00000")),
                ("BLR", ubr.format(opc="0001", op3="000000", rn=".....", op4="00000")),
                ("RET", ubr.format(opc="0010", op3="000000", rn=".....", op4="00000")),
                ("BRAAZ", ubr.format(opc="0000", op3="000010", rn=".....", op4="11111")),
                ("BRABZ", ubr.format(opc="0000", op3="000011", rn=".....", op4="11111")),
                ("BLRAAZ", ubr.format(opc="0001", op3="000010", rn=".....", op4="11111")),
                ("BLRABZ", ubr.format(opc="0001", op3="000011", rn=".....", op4="11111")),
                ("RETAA", ubr.format(opc="0010", op3="000010", rn="11111", op4="11111")),
                ("RETAB", ubr.format(opc="0010", op3="000011", rn="11111", op4="11111")),
                ("BRAA", ubr.format(opc="1000", op3="000010", rn=".....", op4=".....")),
                ("BRAB", ubr.format(opc="1000", op3="000011", rn=".....", op4=".....")),
                ("BLRAA", ubr.format(opc="1001", op3="000010", rn=".....", op4=".....")),
                ("BLRAB", ubr.format(opc="1001", op3="000011", rn=".....", op4=".....")),
            ],
        )
    )
    c.append(
        (
            BES,
            "Unconditional branch (immediate)",
            [
                ("B", "000101 .........................."),
                ("BL", "100101 .........................."),
            ],
        )
    )
    c.append(
        (
            BES,
            "Compare and branch (immediate)",
            [
                ("CBZ", "F0110100 ................... ....."),
                ("CBNZ", "F0110101 ................... ....."),
            ],
        )
    )
    c.append(
        (
            BES,
            "Test and branch (immediate)",
            [
                ("TBZ", "F0110110 ..... .............. ....."),
                ("TBNZ", "F0110111 ..... .............. ....."),
            ],
        )
    )

    # -- loads and stores
    c.append((LS, "Compare and swap pair", [("CASP", "0S001000 0A1 ..... R 11111 ..... .....")]))
    mult = [("1", "LD"), ("0", "ST")]
    mult_ops = [("4", "0000"), ("1", "0010"), ("3", "0100"), ("1", "0110"), ("1", "0111"),
                ("2", "1000"), ("1", "1010")]  # fmt: skip
    c.append(
        (
            LS,
            "Advanced SIMD load/store multiple structures",
            [
                (f"{p}{n}", f"0Q0011000{lb}000000 {op} SS ..... .....")
                for lb, p in mult
                for n, op in mult_ops
            ],
        )
    )
    c.append(
        (
            LS,
            "Advanced SIMD load/store multiple structures (post-indexed)",
            [
                (f"{p}{n}", f"0Q0011001{lb}0 ..... {op} SS ..... .....")
                for lb, p in mult
                for n, op in mult_ops
            ],
        )
    )

    def single(post: bool) -> list:
        mid = "....." if post else "00000"
        op = "0011011" if post else "0011010"
        out = []
        for lb, p in mult:
            for n, o0, r in (("1", "0", "0"), ("2", "0", "1"), ("3", "1", "0"), ("4", "1", "1")):
                for hi in ("00", "01", "10"):
                    out.append((f"{p}{n} (single)", f"0Q{op}{lb}{r}{mid} {hi}{o0}SSS ..... ....."))
                if lb == "1":
                    out.append((f"LD{n}R", f"0Q{op}1{r}{mid} 11{o0}0SS ..... ....."))
        return out

    c.append((LS, "Advanced SIMD load/store single structure", single(False)))
    c.append((LS, "Advanced SIMD load/store single structure (post-indexed)", single(True)))
    c.append(
        (
            LS,
            "LDAPR/STLR (unscaled immediate)",
            [
                ("STLURB", "00011001 00 0 ......... 00 ..... ....."),
                ("LDAPURB", "00011001 01 0 ......... 00 ..... ....."),
                ("LDAPURSB", "00011001 1X 0 ......... 00 ..... ....."),
                ("STLURH", "01011001 00 0 ......... 00 ..... ....."),
                ("LDAPURH", "01011001 01 0 ......... 00 ..... ....."),
                ("LDAPURSH", "01011001 1X 0 ......... 00 ..... ....."),
                ("STLUR", "1S011001 00 0 ......... 00 ..... ....."),
                ("LDAPUR", "1S011001 01 0 ......... 00 ..... ....."),
                ("LDAPURSW", "10011001 10 0 ......... 00 ..... ....."),
            ],
        )
    )
    c.append(
        (
            LS,
            "Load register (literal)",
            [
                ("LDR (literal)", "0S011000 ................... ....."),
                ("LDRSW (literal)", "10011000 ................... ....."),
                ("PRFM (literal)", "11011000 ................... ....."),
                ("LDR (literal, SIMD&FP)", "SS011100 ................... ....."),
            ],
        )
    )
    mops = [("P", "00"), ("M", "01"), ("E", "10")]
    c.append((LS, "Memory copy and memory set",
              [(f"CPYF{s}", f"00011001{o}0 ..... OOOO 01 ..... .....") for s, o in mops]
              + [(f"CPY{s}", f"00011101{o}0 ..... OOOO 01 ..... .....") for s, o in mops]
              + [(f"SET{s}", f"00011001110 ..... {o}OO 01 ..... .....") for s, o in mops]
              + [(f"SETG{s}", f"00011101110 ..... {o}OO 01 ..... .....")
                 for s, o in mops]))  # fmt: skip
    excl = "{size}001000 {o2}{l}{o1} {rs} {o0} {rt2} ..... ....."
    ex_rows = [("ST{}XR", "0", "0", "0", ".....", "0"), ("STL{}XR", "0", "0", "0", ".....", "1"),
               ("LD{}XR", "0", "1", "0", "11111", "0"), ("LDA{}XR", "0", "1", "0", "11111", "1"),
               ("STLLR{}", "1", "0", "0", "11111", "0"), ("STLR{}", "1", "0", "0", "11111", "1"),
               ("LDLAR{}", "1", "1", "0", "11111", "0"),
               ("LDAR{}", "1", "1", "0", "11111", "1")]  # fmt: skip
    sizes = [("B", "00"), ("H", "01"), ("", "1S")]

    c.append(
        (
            LS,
            "Load/store exclusive register",
            [
                (
                    f.replace("{}", "").replace("XR", "XR" + sfx) if "XR" in f else f.format(sfx),
                    excl.format(size=sz, o2=o2, l=lb, o1=o1, rs=rs, o0=o0, rt2="11111"),
                )
                for f, o2, lb, o1, rs, o0 in ex_rows[:4]
                for sfx, sz in sizes
            ],
        )
    )
    c.append(
        (
            LS,
            "Load/store exclusive pair",
            [
                (mn, excl.format(size="1S", o2="0", l=lb, o1="1", rs=rs, o0=o0, rt2="....."))
                for mn, lb, rs, o0 in (
                    ("STXP", "0", ".....", "0"),
                    ("STLXP", "0", ".....", "1"),
                    ("LDXP", "1", "11111", "0"),
                    ("LDAXP", "1", "11111", "1"),
                )
            ],
        )
    )
    c.append(
        (
            LS,
            "Load/store ordered",
            [
                (f.format(sfx), excl.format(size=sz, o2=o2, l=lb, o1=o1, rs=rs, o0=o0, rt2="11111"))
                for f, o2, lb, o1, rs, o0 in ex_rows[4:]
                for sfx, sz in sizes
            ],
        )
    )
    c.append(
        (
            LS,
            "Compare and swap",
            [(f"CAS{sfx}", f"{sz}001000 1A1 ..... R 11111 ..... .....") for sfx, sz in sizes],
        )
    )
    c.append(
        (
            LS,
            "Load/store no-allocate pair (offset)",
            [
                ("STNP", "S0101 00000 ....... ..... ..... ....."),
                ("LDNP", "S0101 00001 ....... ..... ..... ....."),
                ("STNP (SIMD&FP)", "SS101 10000 ....... ..... ..... ....."),
                ("LDNP (SIMD&FP)", "SS101 10001 ....... ..... ..... ....."),
            ],
        )
    )
    c.append((LS, "Load/store register pair (post-indexed)", _pair("01")))
    c.append((LS, "Load/store register pair (offset)", _pair("10")))
    c.append((LS, "Load/store register pair (pre-indexed)", _pair("11")))
    c.append(
        (
            LS,
            "Load/store register (unscaled immediate)",
            _ldst_imm9("00", {"*": "UR"}, prfm="PRFUM"),
        )
    )
    c.append((LS, "Load/store register (immediate post-indexed)", _ldst_imm9("01", {"*": "R"})))
    c.append((LS, "Load/store register (unprivileged)", _ldst_imm9("10", {"*": "TR"}, simd=False)))
    c.append((LS, "Load/store register (immediate pre-indexed)", _ldst_imm9("11", {"*": "R"})))
    atomics = [("LDADD", "0000"), ("LDCLR", "0001"), ("LDEOR", "0010"), ("LDSET", "0011"),
               ("LDSMAX", "0100"), ("LDSMIN", "0101"), ("LDUMAX", "0110"), ("LDUMIN", "0111"),
               ("SWP", "1000")]  # fmt: skip
    c.append(
        (
            LS,
            "Atomic memory operations",
            [
                (f"{mn}{sfx}", f"{sz}111000 AR1 ..... {op} 00 ..... .....")
                for mn, op in atomics
                for sfx, sz in sizes
            ]
            + [(f"LDAPR{sfx}", f"{sz}111000 101 11111 1100 00 ..... .....") for sfx, sz in sizes],
        )
    )
    c.append(
        (
            LS,
            "Load/store register (register offset)",
            _ldst_other("111{v}00 {opc}1 ..... .1. . 10 ..... .....", "PRFM (register)"),
        )
    )
    c.append(
        (
            LS,
            "Load/store register (pointer authentication)",
            [
                ("LDRAA", "11111000 0.1 ......... W1 ..... ....."),
                ("LDRAB", "11111000 1.1 ......... W1 ..... ....."),
            ],
        )
    )
    c.append(
        (
            LS,
            "Load/store register (unsigned immediate)",
            _ldst_other("111{v}01 {opc} ............ ..... .....", "PRFM (immediate)"),
        )
    )
    c.append((LS, "Load/store memory tags", [
        ("LDG", "11011001 011 ......... 00 ..... ....."),
        *[(mn, f"11011001 {opc}1 ......... {idx} ..... .....")
          for mn, opc in (("STG", "00"), ("STZG", "01"), ("ST2G", "10"), ("STZ2G", "11"))
          for idx in ("01", "10", "11")],
    ]))  # fmt: skip

    # -- data processing, register
    dp2 = [("UDIV", "F", "000010"), ("SDIV", "F", "000011"), ("LSLV", "F", "001000"),
           ("LSRV", "F", "001001"), ("ASRV", "F", "001010"), ("RORV", "F", "001011"),
           ("CRC32B", "0", "010000"), ("CRC32H", "0", "010001"), ("CRC32W", "0", "010010"),
           ("CRC32X", "1", "010011"), ("CRC32CB", "0", "010100"), ("CRC32CH", "0", "010101"),
           ("CRC32CW", "0", "010110"), ("CRC32CX", "1", "010111"), ("SUBP", "1", "000000"),
           ("IRG", "1", "000100"), ("GMI", "1", "000101"), ("PACGA", "1", "001100"),
           ("SMAX (register)", "F", "011000"), ("UMAX (register)", "F", "011001"),
           ("SMIN (register)", "F", "011010"), ("UMIN (register)", "F", "011011")]  # fmt: skip
    c.append(
        (
            DPR,
            "Data-processing (2 source)",
            [(mn, f"{sf}0011010110 ..... {op} ..... .....") for mn, sf, op in dp2]
            + [("SUBPS", "10111010110 ..... 000000 ..... .....")],
        )
    )
    dp1 = [("RBIT", "F", "000000"), ("REV16", "F", "000001"), ("REV32", "1", "000010"),
           ("REV", "0", "000010"), ("REV", "1", "000011"), ("CLZ", "F", "000100"),
           ("CLS", "F", "000101"), ("CTZ", "F", "000110"), ("CNT", "F", "000111"),
           ("ABS", "F", "001000")]  # fmt: skip
    pac = ["PACIA", "PACIB", "PACDA", "PACDB", "AUTIA", "AUTIB", "AUTDA", "AUTDB"]
    c.append(
        (
            DPR,
            "Data-processing (1 source)",
            [(mn, f"{sf}1011010110 00000 {op} ..... .....") for mn, sf, op in dp1]
            + [(mn, f"11011010110 00001 000{i:03b} ..... .....") for i, mn in enumerate(pac)]
            + [
                (mn[:-1] + "Z" + mn[-1], f"11011010110 00001 001{i:03b} 11111 .....")
                for i, mn in enumerate(pac)
            ]
            + [
                ("XPACI", "11011010110 00001 010000 11111 ....."),
                ("XPACD", "11011010110 00001 010001 11111 ....."),
            ],
        )
    )
    logic = [("AND", "000"), ("BIC", "001"), ("ORR", "010"), ("ORN", "011"), ("EOR", "100"),
             ("EON", "101"), ("ANDS", "110"), ("BICS", "111")]  # fmt: skip
    c.append(
        (
            DPR,
            "Logical (shifted register)",
            [(mn, f"F{o[:2]}01010HH{o[2]} ..... ...... ..... .....") for mn, o in logic],
        )
    )
    addsub = [("ADD", "00"), ("ADDS", "01"), ("SUB", "10"), ("SUBS", "11")]
    c.append(
        (
            DPR,
            "Add/subtract (shifted register)",
            [(mn, f"F{o}01011HH0 ..... ...... ..... .....") for mn, o in addsub],
        )
    )
    c.append(
        (
            DPR,
            "Add/subtract (extended register)",
            [(mn, f"F{o}01011001 ..... ... 0.. ..... .....") for mn, o in addsub],
        )
    )
    c.append(
        (
            DPR,
            "Add/subtract (with carry)",
            [
                (mn, f"F{o}11010000 ..... 000000 ..... .....")
                for mn, o in (("ADC", "00"), ("ADCS", "01"), ("SBC", "10"), ("SBCS", "11"))
            ],
        )
    )
    c.append((DPR, "Rotate right into flags", [("RMIF", "10111010000 ...... 00001 ..... 0 ....")]))
    c.append(
        (
            DPR,
            "Evaluate into flags",
            [
                ("SETF8", "00111010000 000000 0 0010 ..... 0 1101"),
                ("SETF16", "00111010000 000000 1 0010 ..... 0 1101"),
            ],
        )
    )
    c.append(
        (
            DPR,
            "Conditional compare (register)",
            [
                ("CCMN", "F0111010010 ..... .... 00 ..... 0 ...."),
                ("CCMP", "F1111010010 ..... .... 00 ..... 0 ...."),
            ],
        )
    )
    c.append(
        (
            DPR,
            "Conditional compare (immediate)",
            [
                ("CCMN", "F0111010010 ..... .... 10 ..... 0 ...."),
                ("CCMP", "F1111010010 ..... .... 10 ..... 0 ...."),
            ],
        )
    )
    c.append((DPR, "Conditional select", [
        (mn, f"F{o}011010100 ..... .... 0{o2} ..... .....")
        for mn, o, o2 in (("CSEL", "0", "0"), ("CSINC", "0", "1"), ("CSINV", "1", "0"),
                          ("CSNEG", "1", "1"))
    ]))  # fmt: skip
    dp3 = [("MADD", "F", "000", "0", "....."), ("MSUB", "F", "000", "1", "....."),
           ("SMADDL", "1", "001", "0", "....."), ("SMSUBL", "1", "001", "1", "....."),
           ("SMULH", "1", "010", "0", "11111"), ("UMADDL", "1", "101", "0", "....."),
           ("UMSUBL", "1", "101", "1", "....."), ("UMULH", "1", "110", "0", "11111")]  # fmt: skip
    c.append(
        (
            DPR,
            "Data-processing (3 source)",
            [(mn, f"{sf}0011011{op} ..... {o0}{ra} ..... .....") for mn, sf, op, o0, ra in dp3],
        )
    )

    # -- data processing, SIMD and floating point
    c.append(
        (
            FPS,
            "Cryptographic AES",
            _table(
                lambda o: f"0100111000101000 {o}10 ..... .....",
                [("AESE", "0100"), ("AESD", "0101"), ("AESMC", "0110"), ("AESIMC", "0111")],
            ),
        )
    )
    c.append((FPS, "Cryptographic three-register SHA", _table(
        lambda o: f"01011110000 ..... 0{o}00 ..... .....",
        [("SHA1C", "000"), ("SHA1P", "001"), ("SHA1M", "010"), ("SHA1SU0", "011"),
         ("SHA256H", "100"), ("SHA256H2", "101"), ("SHA256SU1", "110")])))  # fmt: skip
    c.append(
        (
            FPS,
            "Cryptographic two-register SHA",
            _table(
                lambda o: f"0101111000101000 {o}10 ..... .....",
                [("SHA1H", "0000"), ("SHA1SU1", "0001"), ("SHA256SU0", "0010")],
            ),
        )
    )
    c.append(
        (
            FPS,
            "Cryptographic three-register, imm2",
            _table(
                lambda o: f"11001110010 ..... 10 .. {o} ..... .....",
                [("SM3TT1A", "00"), ("SM3TT1B", "01"), ("SM3TT2A", "10"), ("SM3TT2B", "11")],
            ),
        )
    )
    c.append((FPS, "Cryptographic three-register SHA512", _table(
        lambda o: f"11001110011 ..... 1{o} ..... .....",
        [("SHA512H", "00000"), ("SHA512H2", "00001"), ("SHA512SU1", "00010"),
         ("RAX1", "00011"), ("SM3PARTW1", "10000"), ("SM3PARTW2", "10001"),
         ("SM4EKEY", "10010")])))  # fmt: skip
    c.append(
        (
            FPS,
            "Cryptographic four-register",
            _table(
                lambda o: f"110011100{o} ..... 0 ..... ..... .....",
                [("EOR3", "00"), ("BCAX", "01"), ("SM3SS1", "10")],
            ),
        )
    )
    c.append((FPS, "XAR", [("XAR", "11001110100 ..... ...... ..... .....")]))
    c.append(
        (
            FPS,
            "Cryptographic two-register SHA512",
            _table(
                lambda o: f"110011101100000010000{o} ..... .....",
                [("SHA512SU0", "0"), ("SM4E", "1")],
            ),
        )
    )
    c.append(
        (
            FPS,
            "Advanced SIMD scalar copy",
            [("DUP (element)", "01011110000 ..... 000001 ..... .....")],
        )
    )
    c.append((FPS, "Advanced SIMD scalar three same FP16", _table(s3same_h, [
        ("FMULX", "0", "0", "011"), ("FCMEQ", "0", "0", "100"), ("FRECPS", "0", "0", "111"),
        ("FRSQRTS", "0", "1", "111"), ("FCMGE", "1", "0", "100"), ("FACGE", "1", "0", "101"),
        ("FABD", "1", "1", "010"), ("FCMGT", "1", "1", "100"), ("FACGT", "1", "1", "101"),
    ])))  # fmt: skip
    fp16_2misc_s = [
        ("FCVTNS", "0", "0", "11010"), ("FCVTMS", "0", "0", "11011"),
        ("FCVTAS", "0", "0", "11100"), ("SCVTF", "0", "0", "11101"),
        ("FCMGT (zero)", "0", "1", "01100"), ("FCMEQ (zero)", "0", "1", "01101"),
        ("FCMLT (zero)", "0", "1", "01110"), ("FCVTPS", "0", "1", "11010"),
        ("FCVTZS", "0", "1", "11011"), ("FRECPE", "0", "1", "11101"),
        ("FCVTNU", "1", "0", "11010"), ("FCVTMU", "1", "0", "11011"),
        ("FCVTAU", "1", "0", "11100"), ("UCVTF", "1", "0", "11101"),
        ("FCMGE (zero)", "1", "1", "01100"), ("FCMLE (zero)", "1", "1", "01101"),
        ("FCVTPU", "1", "1", "11010"), ("FCVTZU", "1", "1", "11011"),
        ("FRSQRTE", "1", "1", "11101"),
    ]  # fmt: skip
    c.append(
        (
            FPS,
            "Advanced SIMD scalar two-register miscellaneous FP16",
            _table(s2misc_h, [*fp16_2misc_s, ("FRECPX", "0", "1", "11111")]),
        )
    )
    c.append(
        (
            FPS,
            "Advanced SIMD scalar three same extra",
            _table(
                s3ext,
                [
                    ("SQRDMLAH", "1", "SS", "0000"),
                    ("SQRDMLSH", "1", "SS", "0001"),
                ],
            ),
        )
    )
    c.append((FPS, "Advanced SIMD scalar two-register miscellaneous", _table(s2misc, [
        ("SUQADD", "0", "SS", "00011"), ("SQABS", "0", "SS", "00111"),
        ("CMGT (zero)", "0", "SS", "01000"), ("CMEQ (zero)", "0", "SS", "01001"),
        ("CMLT (zero)", "0", "SS", "01010"), ("ABS", "0", "SS", "01011"),
        ("SQXTN", "0", "SS", "10100"), ("FCVTNS", "0", "0S", "11010"),
        ("FCVTMS", "0", "0S", "11011"), ("FCVTAS", "0", "0S", "11100"),
        ("SCVTF", "0", "0S", "11101"), ("FCMGT (zero)", "0", "1S", "01100"),
        ("FCMEQ (zero)", "0", "1S", "01101"), ("FCMLT (zero)", "0", "1S", "01110"),
        ("FCVTPS", "0", "1S", "11010"), ("FCVTZS", "0", "1S", "11011"),
        ("FRECPE", "0", "1S", "11101"), ("FRECPX", "0", "1S", "11111"),
        ("USQADD", "1", "SS", "00011"), ("SQNEG", "1", "SS", "00111"),
        ("CMGE (zero)", "1", "SS", "01000"), ("CMLE (zero)", "1", "SS", "01001"),
        ("NEG", "1", "SS", "01011"), ("SQXTUN", "1", "SS", "10010"),
        ("UQXTN", "1", "SS", "10100"), ("FCVTXN", "1", "0S", "10110"),
        ("FCVTNU", "1", "0S", "11010"), ("FCVTMU", "1", "0S", "11011"),
        ("FCVTAU", "1", "0S", "11100"), ("UCVTF", "1", "0S", "11101"),
        ("FCMGE (zero)", "1", "1S", "01100"), ("FCMLE (zero)", "1", "1S", "01101"),
        ("FCVTPU", "1", "1S", "11010"), ("FCVTZU", "1", "1S", "11011"),
        ("FRSQRTE", "1", "1S", "11101"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD scalar pairwise", _table(spair, [
        ("ADDP (scalar)", "0", "SS", "11011"),
        ("FMAXNMP (scalar)", "0", "00", "01100", "@half"), ("FMAXNMP (scalar)", "1", "0S", "01100"),
        ("FADDP (scalar)", "0", "00", "01101", "@half"), ("FADDP (scalar)", "1", "0S", "01101"),
        ("FMAXP (scalar)", "0", "00", "01111", "@half"), ("FMAXP (scalar)", "1", "0S", "01111"),
        ("FMINNMP (scalar)", "0", "10", "01100", "@half"), ("FMINNMP (scalar)", "1", "1S", "01100"),
        ("FMINP (scalar)", "0", "10", "01111", "@half"), ("FMINP (scalar)", "1", "1S", "01111"),
    ])))  # fmt: skip
    c.append(
        (
            FPS,
            "Advanced SIMD scalar three different",
            _table(
                s3diff,
                [
                    ("SQDMLAL", "0", "SS", "1001"),
                    ("SQDMLSL", "0", "SS", "1011"),
                    ("SQDMULL", "0", "SS", "1101"),
                ],
            ),
        )
    )
    c.append((FPS, "Advanced SIMD scalar three same", _table(s3same, [
        ("SQADD", "0", "SS", "00001"), ("SQSUB", "0", "SS", "00101"),
        ("CMGT (register)", "0", "SS", "00110"), ("CMGE (register)", "0", "SS", "00111"),
        ("SSHL", "0", "SS", "01000"), ("SQSHL (register)", "0", "SS", "01001"),
        ("SRSHL", "0", "SS", "01010"), ("SQRSHL", "0", "SS", "01011"),
        ("ADD (vector)", "0", "SS", "10000"), ("CMTST", "0", "SS", "10001"),
        ("SQDMULH", "0", "SS", "10110"), ("FMULX", "0", "0S", "11011"),
        ("FCMEQ (register)", "0", "0S", "11100"), ("FRECPS", "0", "0S", "11111"),
        ("FRSQRTS", "0", "1S", "11111"), ("UQADD", "1", "SS", "00001"),
        ("UQSUB", "1", "SS", "00101"), ("CMHI (register)", "1", "SS", "00110"),
        ("CMHS (register)", "1", "SS", "00111"), ("USHL", "1", "SS", "01000"),
        ("UQSHL (register)", "1", "SS", "01001"), ("URSHL", "1", "SS", "01010"),
        ("UQRSHL", "1", "SS", "01011"), ("SUB (vector)", "1", "SS", "10000"),
        ("CMEQ (register)", "1", "SS", "10001"), ("SQRDMULH", "1", "SS", "10110"),
        ("FCMGE (register)", "1", "0S", "11100"), ("FACGE", "1", "0S", "11101"),
        ("FABD", "1", "1S", "11010"), ("FCMGT (register)", "1", "1S", "11100"),
        ("FACGT", "1", "1S", "11101"),
    ])))  # fmt: skip
    sh_s = [
        ("SSHR", "0", "00000"), ("SSRA", "0", "00010"), ("SRSHR", "0", "00100"),
        ("SRSRA", "0", "00110"), ("SHL", "0", "01010"), ("SQSHL (immediate)", "0", "01110"),
        ("SQSHRN", "0", "10010"), ("SQRSHRN", "0", "10011"),
        ("SCVTF (vector, fixed-point)", "0", "11100"),
        ("FCVTZS (vector, fixed-point)", "0", "11111"), ("USHR", "1", "00000"),
        ("USRA", "1", "00010"), ("URSHR", "1", "00100"), ("URSRA", "1", "00110"),
        ("SRI", "1", "01000"), ("SLI", "1", "01010"), ("SQSHLU", "1", "01100"),
        ("UQSHL (immediate)", "1", "01110"), ("SQSHRUN", "1", "10000"),
        ("SQRSHRUN", "1", "10001"), ("UQSHRN", "1", "10010"), ("UQRSHRN", "1", "10011"),
        ("UCVTF (vector, fixed-point)", "1", "11100"),
        ("FCVTZU (vector, fixed-point)", "1", "11111"),
    ]  # fmt: skip
    c.append((FPS, "Advanced SIMD scalar shift by immediate", _table(sshift, sh_s)))
    c.append((FPS, "Advanced SIMD scalar x indexed element", _table(selem, [
        ("FMLA (by element)", "0", "0.", "0001", "@half"), ("FMLA (by element)", "0", "1S", "0001"),
        ("SQDMLAL (by element)", "0", "SS", "0011"),
        ("FMLS (by element)", "0", "0.", "0101", "@half"), ("FMLS (by element)", "0", "1S", "0101"),
        ("SQDMLSL (by element)", "0", "SS", "0111"),
        ("FMUL (by element)", "0", "0.", "1001", "@half"), ("FMUL (by element)", "0", "1S", "1001"),
        ("SQDMULL (by element)", "0", "SS", "1011"),
        ("SQDMULH (by element)", "0", "SS", "1100"),
        ("SQRDMULH (by element)", "0", "SS", "1101"),
        ("FMULX (by element)", "1", "0.", "1001", "@half"),
        ("FMULX (by element)", "1", "1S", "1001"),
        ("SQRDMLAH (by element)", "1", "SS", "1101"),
        ("SQRDMLSH (by element)", "1", "SS", "1111"),
    ])))  # fmt: skip
    c.append(
        (
            FPS,
            "Advanced SIMD table lookup",
            [
                ("TBL", "0Q001110000 ..... 0LL000 ..... ....."),
                ("TBX", "0Q001110000 ..... 0LL100 ..... ....."),
            ],
        )
    )
    c.append((FPS, "Advanced SIMD permute", _table(
        lambda o: f"0Q001110SS0 ..... 0{o}10 ..... .....",
        [("UZP1", "001"), ("TRN1", "010"), ("ZIP1", "011"), ("UZP2", "101"), ("TRN2", "110"),
         ("ZIP2", "111")])))  # fmt: skip
    c.append((FPS, "Advanced SIMD extract", [("EXT", "0Q101110000 ..... 0....0 ..... .....")]))
    c.append(
        (
            FPS,
            "Advanced SIMD copy",
            [
                ("DUP (element)", "0Q001110000 ..... 000001 ..... ....."),
                ("DUP (general)", "0Q001110000 ..... 000011 ..... ....."),
                ("SMOV", "0Q001110000 ..... 001011 ..... ....."),
                ("UMOV", "0Q001110000 ..... 001111 ..... ....."),
                ("INS (general)", "01001110000 ..... 000111 ..... ....."),
                ("INS (element)", "01101110000 ..... 0....1 ..... ....."),
            ],
        )
    )
    c.append((FPS, "Advanced SIMD three same (FP16)", _table(v3same_h, [
        ("FMAXNM", "0", "0", "000"), ("FMLA", "0", "0", "001"), ("FADD", "0", "0", "010"),
        ("FMULX", "0", "0", "011"), ("FCMEQ (register)", "0", "0", "100"),
        ("FMAX", "0", "0", "110"), ("FRECPS", "0", "0", "111"), ("FMINNM", "0", "1", "000"),
        ("FMLS", "0", "1", "001"), ("FSUB", "0", "1", "010"), ("FMIN", "0", "1", "110"),
        ("FRSQRTS", "0", "1", "111"), ("FMAXNMP", "1", "0", "000"), ("FADDP", "1", "0", "010"),
        ("FMUL", "1", "0", "011"), ("FCMGE (register)", "1", "0", "100"),
        ("FACGE", "1", "0", "101"), ("FMAXP", "1", "0", "110"), ("FDIV", "1", "0", "111"),
        ("FMINNMP", "1", "1", "000"), ("FABD", "1", "1", "010"),
        ("FCMGT (register)", "1", "1", "100"), ("FACGT", "1", "1", "101"),
        ("FMINP", "1", "1", "110"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD two-register miscellaneous (FP16)", _table(v2misc_h, [
        *fp16_2misc_s, ("FRINTN", "0", "0", "11000"), ("FRINTM", "0", "0", "11001"),
        ("FABS", "0", "1", "01111"), ("FRINTP", "0", "1", "11000"),
        ("FRINTZ", "0", "1", "11001"), ("FRINTA", "1", "0", "11000"),
        ("FRINTX", "1", "0", "11001"), ("FNEG", "1", "1", "01111"),
        ("FRINTI", "1", "1", "11001"), ("FSQRT", "1", "1", "11111"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD three-register extension", _table(v3ext, [
        ("SQRDMLAH (vector)", "1", "SS", "0000"), ("SQRDMLSH (vector)", "1", "SS", "0001"),
        ("SDOT (vector)", "0", "10", "0010"), ("UDOT (vector)", "1", "10", "0010"),
        ("USDOT (vector)", "0", "10", "0011"), ("SMMLA", "0", "10", "0100", "1"),
        ("UMMLA", "1", "10", "0100", "1"), ("USMMLA", "0", "10", "0101", "1"),
        ("FCMLA", "1", "SS", "10RR"), ("FCADD", "1", "SS", "11R0"),
        ("BFDOT (vector)", "1", "01", "1111"), ("BFMMLA", "1", "01", "1101", "1"),
        ("BFMLALB/T (vector)", "1", "11", "1111"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD two-register miscellaneous", _table(v2misc, [
        ("REV64", "0", "SS", "00000"), ("REV16 (vector)", "0", "SS", "00001"),
        ("SADDLP", "0", "SS", "00010"), ("SUQADD", "0", "SS", "00011"),
        ("CLS (vector)", "0", "SS", "00100"), ("CNT", "0", "SS", "00101"),
        ("SADALP", "0", "SS", "00110"), ("SQABS", "0", "SS", "00111"),
        ("CMGT (zero)", "0", "SS", "01000"), ("CMEQ (zero)", "0", "SS", "01001"),
        ("CMLT (zero)", "0", "SS", "01010"), ("ABS", "0", "SS", "01011"),
        ("XTN", "0", "SS", "10010"), ("SQXTN", "0", "SS", "10100"),
        ("FCVTN", "0", "0S", "10110"), ("FCVTL", "0", "0S", "10111"),
        ("FRINTN", "0", "0S", "11000"), ("FRINTM", "0", "0S", "11001"),
        ("FCVTNS", "0", "0S", "11010"), ("FCVTMS", "0", "0S", "11011"),
        ("FCVTAS", "0", "0S", "11100"), ("SCVTF", "0", "0S", "11101"),
        ("FRINT32Z", "0", "0S", "11110"), ("FRINT64Z", "0", "0S", "11111"),
        ("FCMGT (zero)", "0", "1S", "01100"), ("FCMEQ (zero)", "0", "1S", "01101"),
        ("FCMLT (zero)", "0", "1S", "01110"), ("FABS", "0", "1S", "01111"),
        ("FRINTP", "0", "1S", "11000"), ("FRINTZ", "0", "1S", "11001"),
        ("FCVTPS", "0", "1S", "11010"), ("FCVTZS", "0", "1S", "11011"),
        ("URECPE", "0", "1S", "11100"), ("FRECPE", "0", "1S", "11101"),
        ("BFCVTN", "0", "10", "10110"),
        ("REV32 (vector)", "1", "SS", "00000"), ("UADDLP", "1", "SS", "00010"),
        ("USQADD", "1", "SS", "00011"), ("CLZ (vector)", "1", "SS", "00100"),
        ("NOT", "1", "00", "00101"), ("RBIT (vector)", "1", "01", "00101"),
        ("UADALP", "1", "SS", "00110"), ("SQNEG", "1", "SS", "00111"),
        ("CMGE (zero)", "1", "SS", "01000"), ("CMLE (zero)", "1", "SS", "01001"),
        ("NEG", "1", "SS", "01011"), ("SQXTUN", "1", "SS", "10010"),
        ("SHLL", "1", "SS", "10011"), ("UQXTN", "1", "SS", "10100"),
        ("FCVTXN", "1", "0S", "10110"), ("FRINTA", "1", "0S", "11000"),
        ("FRINTX", "1", "0S", "11001"), ("FCVTNU", "1", "0S", "11010"),
        ("FCVTMU", "1", "0S", "11011"), ("FCVTAU", "1", "0S", "11100"),
        ("UCVTF", "1", "0S", "11101"), ("FRINT32X", "1", "0S", "11110"),
        ("FRINT64X", "1", "0S", "11111"), ("FCMGE (zero)", "1", "1S", "01100"),
        ("FCMLE (zero)", "1", "1S", "01101"), ("FNEG", "1", "1S", "01111"),
        ("FRINTI", "1", "1S", "11001"), ("FCVTPU", "1", "1S", "11010"),
        ("FCVTZU", "1", "1S", "11011"), ("URSQRTE", "1", "1S", "11100"),
        ("FRSQRTE", "1", "1S", "11101"), ("FSQRT", "1", "1S", "11111"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD across lanes", _table(vacross, [
        ("SADDLV", "0", "SS", "00011"), ("SMAXV", "0", "SS", "01010"),
        ("SMINV", "0", "SS", "11010"), ("ADDV", "0", "SS", "11011"),
        ("UADDLV", "1", "SS", "00011"), ("UMAXV", "1", "SS", "01010"),
        ("UMINV", "1", "SS", "11010"),
        ("FMAXNMV", "0", "00", "01100", "@half"), ("FMAXNMV", "1", "0S", "01100"),
        ("FMAXV", "0", "00", "01111", "@half"), ("FMAXV", "1", "0S", "01111"),
        ("FMINNMV", "0", "10", "01100", "@half"), ("FMINNMV", "1", "1S", "01100"),
        ("FMINV", "0", "10", "01111", "@half"), ("FMINV", "1", "1S", "01111"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD three different", _table(v3diff, [
        ("SADDL", "0", "SS", "0000"), ("SADDW", "0", "SS", "0001"),
        ("SSUBL", "0", "SS", "0010"), ("SSUBW", "0", "SS", "0011"),
        ("ADDHN", "0", "SS", "0100"), ("SABAL", "0", "SS", "0101"),
        ("SUBHN", "0", "SS", "0110"), ("SABDL", "0", "SS", "0111"),
        ("SMLAL (vector)", "0", "SS", "1000"), ("SQDMLAL (vector)", "0", "SS", "1001"),
        ("SMLSL (vector)", "0", "SS", "1010"), ("SQDMLSL (vector)", "0", "SS", "1011"),
        ("SMULL (vector)", "0", "SS", "1100"), ("SQDMULL (vector)", "0", "SS", "1101"),
        ("PMULL", "0", "SS", "1110"), ("UADDL", "1", "SS", "0000"),
        ("UADDW", "1", "SS", "0001"), ("USUBL", "1", "SS", "0010"),
        ("USUBW", "1", "SS", "0011"), ("RADDHN", "1", "SS", "0100"),
        ("UABAL", "1", "SS", "0101"), ("RSUBHN", "1", "SS", "0110"),
        ("UABDL", "1", "SS", "0111"), ("UMLAL (vector)", "1", "SS", "1000"),
        ("UMLSL (vector)", "1", "SS", "1010"), ("UMULL (vector)", "1", "SS", "1100"),
    ])))  # fmt: skip
    c.append((FPS, "Advanced SIMD three same", _table(v3same, [
        ("SHADD", "0", "SS", "00000"), ("SQADD", "0", "SS", "00001"),
        ("SRHADD", "0", "SS", "00010"), ("SHSUB", "0", "SS", "00100"),
        ("SQSUB", "0", "SS", "00101"), ("CMGT (register)", "0", "SS", "00110"),
        ("CMGE (register)", "0", "SS", "00111"), ("SSHL", "0", "SS", "01000"),
        ("SQSHL (register)", "0", "SS", "01001"), ("SRSHL", "0", "SS", "01010"),
        ("SQRSHL", "0", "SS", "01011"), ("SMAX", "0", "SS", "01100"),
        ("SMIN", "0", "SS", "01101"), ("SABD", "0", "SS", "01110"),
        ("SABA", "0", "SS", "01111"), ("ADD (vector)", "0", "SS", "10000"),
        ("CMTST", "0", "SS", "10001"), ("MLA (vector)", "0", "SS", "10010"),
        ("MUL (vector)", "0", "SS", "10011"), ("SMAXP", "0", "SS", "10100"),
        ("SMINP", "0", "SS", "10101"), ("SQDMULH (vector)", "0", "SS", "10110"),
        ("ADDP (vector)", "0", "SS", "10111"), ("FMAXNM", "0", "0S", "11000"),
        ("FMLA", "0", "0S", "11001"), ("FADD", "0", "0S", "11010"),
        ("FMULX", "0", "0S", "11011"), ("FCMEQ (register)", "0", "0S", "11100"),
        ("FMLAL (vector)", "0", "00", "11101"), ("FMAX", "0", "0S", "11110"),
        ("FRECPS", "0", "0S", "11111"), ("AND (vector)", "0", "00", "00011"),
        ("BIC (vector, register)", "0", "01", "00011"), ("FMINNM", "0", "1S", "11000"),
        ("FMLS", "0", "1S", "11001"), ("FSUB", "0", "1S", "11010"),
        ("FMLSL (vector)", "0", "10", "11101"), ("FMIN", "0", "1S", "11110"),
        ("FRSQRTS", "0", "1S", "11111"), ("ORR (vector, register)", "0", "10", "00011"),
        ("ORN (vector)", "0", "11", "00011"), ("UHADD", "1", "SS", "00000"),
        ("UQADD", "1", "SS", "00001"), ("URHADD", "1", "SS", "00010"),
        ("UHSUB", "1", "SS", "00100"), ("UQSUB", "1", "SS", "00101"),
        ("CMHI (register)", "1", "SS", "00110"), ("CMHS (register)", "1", "SS", "00111"),
        ("USHL", "1", "SS", "01000"), ("UQSHL (register)", "1", "SS", "01001"),
        ("URSHL", "1", "SS", "01010"), ("UQRSHL", "1", "SS", "01011"),
        ("UMAX", "1", "SS", "01100"), ("UMIN", "1", "SS", "01101"),
        ("UABD", "1", "SS", "01110"), ("UABA", "1", "SS", "01111"),
        ("SUB (vector)", "1", "SS", "10000"), ("CMEQ (register)", "1", "SS", "10001"),
        ("MLS (vector)", "1", "SS", "10010"), ("PMUL", "1", "SS", "10011"),
        ("UMAXP", "1", "SS", "10100"), ("UMINP", "1", "SS", "10101"),
        ("SQRDMULH (vector)", "1", "SS", "10110"), ("FMAXNMP (vector)", "1", "0S", "11000"),
        ("FMLAL2 (vector)", "1", "00", "11001"), ("FADDP (vector)", "1", "0S", "11010"),
        ("FMUL (vector)", "1", "0S", "11011"), ("FCMGE (register)", "1", "0S", "11100"),
        ("FACGE", "1", "0S", "11101"), ("FMAXP (vector)", "1", "0S", "11110"),
        ("FDIV (vector)", "1", "0S", "11111"), ("EOR (vector)", "1", "00", "00011"),
        ("BSL", "1", "01", "00011"), ("FMINNMP (vector)", "1", "1S", "11000"),
        ("FMLSL2 (vector)", "1", "10", "11001"), ("FABD", "1", "1S", "11010"),
        ("FCMGT (register)", "1", "1S", "11100"), ("FACGT", "1", "1S", "11101"),
        ("FMINP (vector)", "1", "1S", "11110"), ("BIT", "1", "10", "00011"),
        ("BIF", "1", "11", "00011"),
    ])))  # fmt: skip
    mi = "0Q{op}0111100000 ... {cmode} {o2}1 ..... ....."
    c.append((FPS, "Advanced SIMD modified immediate", [
        *[("MOVI", mi.format(op="0", cmode=cm, o2="0")) for cm in ("0CC0", "10C0", "110C", "1110")],
        ("MOVI", mi.format(op="1", cmode="1110", o2="0")),
        *[("MVNI", mi.format(op="1", cmode=cm, o2="0")) for cm in ("0CC0", "10C0", "110C")],
        *[("ORR (vector, immediate)", mi.format(op="0", cmode=cm, o2="0"))
          for cm in ("0CC1", "10C1")],
        *[("BIC (vector, immediate)", mi.format(op="1", cmode=cm, o2="0"))
          for cm in ("0CC1", "10C1")],
        ("FMOV (vector, immediate)", mi.format(op="0", cmode="1111", o2="0"), "single"),
        ("FMOV (vector, immediate)", mi.format(op="1", cmode="1111", o2="0"), "double"),
        ("FMOV (vector, immediate)", mi.format(op="0", cmode="1111", o2="1"), "half"),
    ]))  # fmt: skip
    sh_v = [r for r in sh_s if r[0] not in ("SQSHRN", "SQRSHRN", "SQSHRUN", "SQRSHRUN",
                                             "UQSHRN", "UQRSHRN")] + [
        ("SHRN", "0", "10000"), ("RSHRN", "0", "10001"), ("SQSHRN", "0", "10010"),
        ("SQRSHRN", "0", "10011"), ("SSHLL", "0", "10100"), ("SQSHRUN", "1", "10000"),
        ("SQRSHRUN", "1", "10001"), ("UQSHRN", "1", "10010"), ("UQRSHRN", "1", "10011"),
        ("USHLL", "1", "10100"),
    ]  # fmt: skip
    c.append((FPS, "Advanced SIMD shift by immediate", _table(vshift, sh_v)))
    c.append((FPS, "Advanced SIMD vector x indexed element", _table(velem, [
        ("FMLAL (by element)", "0", "10", "0000"),
        ("FMLA (by element)", "0", "00", "0001", "@half"),
        ("FMLA (by element)", "0", "1S", "0001"), ("SMLAL (by element)", "0", "SS", "0010"),
        ("SQDMLAL (by element)", "0", "SS", "0011"), ("FMLSL (by element)", "0", "10", "0100"),
        ("FMLS (by element)", "0", "00", "0101", "@half"), ("FMLS (by element)", "0", "1S", "0101"),
        ("SMLSL (by element)", "0", "SS", "0110"), ("SQDMLSL (by element)", "0", "SS", "0111"),
        ("MUL (by element)", "0", "SS", "1000"), ("FMUL (by element)", "0", "00", "1001", "@half"),
        ("FMUL (by element)", "0", "1S", "1001"), ("SMULL (by element)", "0", "SS", "1010"),
        ("SQDMULL (by element)", "0", "SS", "1011"), ("SQDMULH (by element)", "0", "SS", "1100"),
        ("SQRDMULH (by element)", "0", "SS", "1101"), ("SDOT (by element)", "0", "10", "1110"),
        ("SUDOT (by element)", "0", "00", "1111"), ("BFDOT (by element)", "0", "01", "1111"),
        ("USDOT (by element)", "0", "10", "1111"), ("BFMLALB/T (by element)", "0", "11", "1111"),
        ("MLA (by element)", "1", "SS", "0000"), ("FCMLA (by element)", "1", "SS", "0RR1"),
        ("UMLAL (by element)", "1", "SS", "0010"), ("MLS (by element)", "1", "SS", "0100"),
        ("UMLSL (by element)", "1", "SS", "0110"), ("FMLAL2 (by element)", "1", "10", "1000"),
        ("FMULX (by element)", "1", "00", "1001", "@half"),
        ("FMULX (by element)", "1", "1S", "1001"),
        ("UMULL (by element)", "1", "SS", "1010"), ("FMLSL2 (by element)", "1", "10", "1100"),
        ("SQRDMLAH (by element)", "1", "SS", "1101"), ("UDOT (by element)", "1", "10", "1110"),
        ("SQRDMLSH (by element)", "1", "SS", "1111"),
    ])))  # fmt: skip
    c.append((FPS, "Conversion between floating-point and fixed-point", _ftypes(_table(
        lambda rm, o: f"F0011110TT0{rm}{o} ...... ..... .....",
        [("SCVTF (scalar, fixed-point)", "00", "010"), ("UCVTF (scalar, fixed-point)", "00", "011"),
         ("FCVTZS (scalar, fixed-point)", "11", "000"),
         ("FCVTZU (scalar, fixed-point)", "11", "001")]))))  # fmt: skip
    c.append((FPS, "Conversion between floating-point and integer", _ftypes(_table(
        lambda rm, o, head="F0011110TT1": f"{head}{rm}{o}000000 ..... .....",
        [("FCVTNS (scalar)", "00", "000"), ("FCVTNU (scalar)", "00", "001"),
         ("SCVTF (scalar, integer)", "00", "010"), ("UCVTF (scalar, integer)", "00", "011"),
         ("FCVTAS (scalar)", "00", "100"), ("FCVTAU (scalar)", "00", "101"),
         ("FMOV (general)", "00", "11O"), ("FMOV (general)", "01", "11O", "10011110101"),
         ("FCVTPS (scalar)", "01", "000"), ("FCVTPU (scalar)", "01", "001"),
         ("FCVTMS (scalar)", "10", "000"), ("FCVTMU (scalar)", "10", "001"),
         ("FCVTZS (scalar, integer)", "11", "000"), ("FCVTZU (scalar, integer)", "11", "001"),
         ("FJCVTZS", "11", "110", "00011110011")]))))  # fmt: skip
    c.append((FPS, "Floating-point data-processing (1 source)", _ftypes(_table(
        lambda o, t="TT": f"00011110{t}1{o}10000 ..... .....",
        [("FMOV (register)", "000000"), ("FABS (scalar)", "000001"),
         ("FNEG (scalar)", "000010"), ("FSQRT (scalar)", "000011"), ("FCVT", "0001OO"),
         ("BFCVT", "000110", "01"), ("FRINTN (scalar)", "001000"),
         ("FRINTP (scalar)", "001001"), ("FRINTM (scalar)", "001010"),
         ("FRINTZ (scalar)", "001011"), ("FRINTA (scalar)", "001100"),
         ("FRINTX (scalar)", "001110"), ("FRINTI (scalar)", "001111"),
         ("FRINT32Z (scalar)", "010000"), ("FRINT32X (scalar)", "010001"),
         ("FRINT64Z (scalar)", "010010"), ("FRINT64X (scalar)", "010011")]))))  # fmt: skip
    c.append(
        (
            FPS,
            "Floating-point compare",
            _ftypes(
                [
                    ("FCMP", "00011110TT1 ..... 001000 ..... 00000"),
                    ("FCMP", "00011110TT1 00000 001000 ..... 01000"),
                    ("FCMPE", "00011110TT1 ..... 001000 ..... 10000"),
                    ("FCMPE", "00011110TT1 00000 001000 ..... 11000"),
                ]
            ),
        )
    )
    c.append(
        (
            FPS,
            "Floating-point immediate",
            _ftypes([("FMOV (scalar, immediate)", "00011110TT1 ........ 100 00000 .....")]),
        )
    )
    c.append(
        (
            FPS,
            "Floating-point conditional compare",
            _ftypes(
                [
                    ("FCCMP", "00011110TT1 ..... .... 01 ..... 0 ...."),
                    ("FCCMPE", "00011110TT1 ..... .... 01 ..... 1 ...."),
                ]
            ),
        )
    )
    c.append((FPS, "Floating-point data-processing (2 source)", _ftypes(_table(
        lambda o: f"00011110TT1 ..... {o}10 ..... .....",
        [("FMUL (scalar)", "0000"), ("FDIV (scalar)", "0001"), ("FADD (scalar)", "0010"),
         ("FSUB (scalar)", "0011"), ("FMAX (scalar)", "0100"), ("FMIN (scalar)", "0101"),
         ("FMAXNM (scalar)", "0110"), ("FMINNM (scalar)", "0111"),
         ("FNMUL (scalar)", "1000")]))))  # fmt: skip
    c.append(
        (
            FPS,
            "Floating-point conditional select",
            _ftypes([("FCSEL", "00011110TT1 ..... .... 11 ..... .....")]),
        )
    )
    c.append((FPS, "Floating-point data-processing (3 source)", _ftypes(_table(
        lambda o1, o0: f"00011111TT{o1} ..... {o0}..... ..... .....",
        [("FMADD", "0", "0"), ("FMSUB", "0", "1"), ("FNMADD", "1", "0"),
         ("FNMSUB", "1", "1")]))))  # fmt: skip
    return c


# -- evaluation -------------------------------------------------------------------------
