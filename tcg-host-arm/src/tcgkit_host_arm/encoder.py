"""A64 instruction encoding: 32-bit words for the forms the lowering uses.

Owns ``Asm`` (a growing list of instruction words with labels and branch
fix-ups) and the encoders of each instruction class (Arm ARM, chapter C4):
register numbers 0-30, 31 being sp or xzr by instruction; ``sf`` selects the
64-bit form (the 32-bit forms zero the upper half of the destination).
LSE atomics (ARMv8.1) are encoded too; whether the host has them is the
lowering's choice (``features``).
Nothing here knows about IR or the ABI.
"""

from __future__ import annotations

import struct

SP = ZR = 31
LR, FP = 30, 29

# condition codes
EQ, NE, HS, LO, MI, PL, VS, VC, HI, LS, GE, LT, GT, LE, AL = range(15)
CS, CC = HS, LO

# shift types of shifted-register forms
LSL, LSR, ASR, ROR = range(4)

# extensions of the extended-register add/sub forms (applied to the second operand)
UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX = range(8)

# LSE atomic memory operations (ARMv8.1): the opc field; SWP is o3 = 1 with opc 0
LD_ADD, LD_CLR, LD_EOR, LD_SET, LD_SMAX, LD_SMIN, LD_UMAX, LD_UMIN = range(8)
SWP = 8


def invert(cond: int) -> int:
    return cond ^ 1


def logical_imm(value: int, sf: bool) -> int | None:
    """The N:immr:imms encoding of ``value`` as a bitmask immediate, or None."""
    width = 64 if sf else 32
    value &= (1 << width) - 1
    if value == 0 or value == (1 << width) - 1:
        return None
    size = width
    while size > 2:  # the smallest repeating element
        half = size // 2
        mask = (1 << half) - 1
        if (value & mask) != ((value >> half) & mask):
            break
        size = half
    elem = value & ((1 << size) - 1)
    # rotate so that the element is a run of ones starting at bit 0
    for rot in range(size):
        r = ((elem >> rot) | (elem << (size - rot))) & ((1 << size) - 1)
        ones = bin(r).count("1")
        if r == (1 << ones) - 1:
            immr = (size - rot) % size
            n = 1 if size == 64 else 0
            imms = ((~(size * 2 - 1)) & 0x3F) | (ones - 1)
            if size == 64:
                imms = ones - 1
            return n << 12 | immr << 6 | imms
    return None


#: load-acquire / store-release exclusive, by log2 of the size (Rt, Rn, Rs fields zero)
LDAXR = (0x085FFC00, 0x485FFC00, 0x885FFC00, 0xC85FFC00)
STLXR = (0x0800FC00, 0x4800FC00, 0x8800FC00, 0xC800FC00)


class Label:
    __slots__ = ("pos", "refs")

    def __init__(self) -> None:
        self.pos = -1
        self.refs: list[tuple[int, str]] = []  # (word index, kind: b / bcond / cbz)


class Asm:
    """A growing block of A64 code."""

    def __init__(self) -> None:
        self.words: list[int] = []

    @property
    def pos(self) -> int:
        """Byte offset of the next instruction."""
        return 4 * len(self.words)

    def emit(self, word: int) -> None:
        self.words.append(word & 0xFFFFFFFF)

    def code(self) -> bytes:
        return struct.pack(f"<{len(self.words)}I", *self.words)

    # -- labels and branches ----------------------------------------------------------

    def bind(self, label: Label) -> None:
        label.pos = self.pos
        for index, kind in label.refs:
            self._fix(index, kind, label.pos)

    def _fix(self, index: int, kind: str, target: int) -> None:
        delta = (target - 4 * index) >> 2
        w = self.words[index]
        if kind == "b":
            self.words[index] = (w & 0xFC000000) | (delta & 0x3FFFFFF)
        else:  # b.cond, cbz, cbnz: imm19 at bit 5
            self.words[index] = (w & 0xFF00001F) | ((delta & 0x7FFFF) << 5)

    def _branch(self, word: int, label: Label, kind: str) -> None:
        index = len(self.words)
        self.emit(word)
        if label.pos >= 0:
            self._fix(index, kind, label.pos)
        else:
            label.refs.append((index, kind))

    def b(self, label: Label) -> None:
        self._branch(0x14000000, label, "b")

    def b_cond(self, cond: int, label: Label) -> None:
        self._branch(0x54000000 | cond, label, "bcond")

    def cbz(self, rt: int, label: Label, sf: bool = True, nonzero: bool = False) -> None:
        self._branch(sf << 31 | 0x34000000 | nonzero << 24 | rt, label, "cbz")

    def br(self, rn: int) -> None:
        self.emit(0xD61F0000 | rn << 5)

    def blr(self, rn: int) -> None:
        self.emit(0xD63F0000 | rn << 5)

    def ret(self) -> None:
        self.emit(0xD65F03C0)

    # -- moves and constants -----------------------------------------------------------

    def movz(self, rd: int, imm16: int, shift: int, sf: bool = True) -> None:
        self.emit(sf << 31 | 0x52800000 | (shift // 16) << 21 | imm16 << 5 | rd)

    def movn(self, rd: int, imm16: int, shift: int, sf: bool = True) -> None:
        self.emit(sf << 31 | 0x12800000 | (shift // 16) << 21 | imm16 << 5 | rd)

    def movk(self, rd: int, imm16: int, shift: int, sf: bool = True) -> None:
        self.emit(sf << 31 | 0x72800000 | (shift // 16) << 21 | imm16 << 5 | rd)

    def mov_imm(self, rd: int, value: int, sf: bool = True) -> None:
        """rd <- value, in the fewest move-wide (or one ORR bitmask) instructions."""
        width = 64 if sf else 32
        value &= (1 << width) - 1
        chunks = [(value >> s) & 0xFFFF for s in range(0, width, 16)]
        zeros, ones = chunks.count(0), chunks.count(0xFFFF)
        if value and ones < len(chunks) and zeros < len(chunks) - 1:
            enc = logical_imm(value, sf)
            if enc is not None and len(chunks) - max(zeros, ones) > 1:
                self.emit(sf << 31 | 0x32000000 | enc << 10 | ZR << 5 | rd)  # orr rd, zr, #imm
                return
        if ones > zeros:
            first = next((i for i, c in enumerate(chunks) if c != 0xFFFF), 0)
            self.movn(rd, ~chunks[first] & 0xFFFF, 16 * first, sf)
            for i, c in enumerate(chunks):
                if i != first and c != 0xFFFF:
                    self.movk(rd, c, 16 * i, sf)
            return
        first = next((i for i, c in enumerate(chunks) if c), 0)
        self.movz(rd, chunks[first], 16 * first, sf)
        for i, c in enumerate(chunks):
            if i != first and c:
                self.movk(rd, c, 16 * i, sf)

    def mov(self, rd: int, rm: int, sf: bool = True) -> None:
        """rd <- rm (orr rd, xzr, rm); not for sp."""
        self.emit(sf << 31 | 0x2A000000 | rm << 16 | ZR << 5 | rd)

    def mov_sp(self, rd: int, rn: int) -> None:
        """Moves involving sp: add rd, rn, #0."""
        self.add_imm(rd, rn, 0)

    # -- arithmetic --------------------------------------------------------------------

    def add_imm(self, rd: int, rn: int, imm: int, sf: bool = True, sub: bool = False,
                flags: bool = False) -> None:  # fmt: skip
        """add/sub (immediate): imm12, optionally shifted left 12."""
        shift = 0
        if imm >= 1 << 12:
            assert imm & 0xFFF == 0 and imm >> 12 < 1 << 12, imm
            imm, shift = imm >> 12, 1
        self.emit(sf << 31 | sub << 30 | flags << 29 | 0x11000000 | shift << 22 | imm << 10
                  | rn << 5 | rd)  # fmt: skip

    def add_reg(self, rd: int, rn: int, rm: int, sf: bool = True, sub: bool = False,
                flags: bool = False, shift: int = LSL, amount: int = 0) -> None:  # fmt: skip
        self.emit(sf << 31 | sub << 30 | flags << 29 | 0x0B000000 | shift << 22 | rm << 16
                  | amount << 10 | rn << 5 | rd)  # fmt: skip

    def adc(self, rd: int, rn: int, rm: int, sf: bool = True, sub: bool = False,
            flags: bool = False) -> None:  # fmt: skip
        self.emit(sf << 31 | sub << 30 | flags << 29 | 0x1A000000 | rm << 16 | rn << 5 | rd)

    def add_ext(self, rd: int, rn: int, rm: int, option: int, sf: bool = True, sub: bool = False,
                flags: bool = False, amount: int = 0) -> None:  # fmt: skip
        """add/sub (extended register): rd <- rn +- extend(rm) << amount (``option``: UXTB
        ... SXTX); rn (and rd unless ``flags``) 31 is sp."""
        self.emit(sf << 31 | sub << 30 | flags << 29 | 0x0B200000 | rm << 16 | option << 13
                  | amount << 10 | rn << 5 | rd)  # fmt: skip

    def cmp_ext(self, rn: int, rm: int, option: int, sf: bool = False) -> None:
        """cmp rn, rm, <option>: the flags of rn - extend(rm)."""
        self.add_ext(ZR, rn, rm, option, sf, sub=True, flags=True)

    def cmp_imm(self, rn: int, imm: int, sf: bool = True) -> None:
        if imm < 0:
            self.add_imm(ZR, rn, -imm, sf, sub=False, flags=True)  # cmn
        else:
            self.add_imm(ZR, rn, imm, sf, sub=True, flags=True)

    def cmp(self, rn: int, rm: int, sf: bool = True) -> None:
        self.add_reg(ZR, rn, rm, sf, sub=True, flags=True)

    def logic(self, opc: int, rd: int, rn: int, rm: int, sf: bool = True, invert: bool = False,
              shift: int = LSL, amount: int = 0) -> None:  # fmt: skip
        """opc 0 and, 1 orr, 2 eor, 3 ands (with ``invert``: bic orn eon bics)."""
        self.emit(sf << 31 | opc << 29 | 0x0A000000 | shift << 22 | invert << 21 | rm << 16
                  | amount << 10 | rn << 5 | rd)  # fmt: skip

    def logic_imm(self, opc: int, rd: int, rn: int, enc: int, sf: bool = True) -> None:
        self.emit(sf << 31 | opc << 29 | 0x12000000 | enc << 10 | rn << 5 | rd)

    def dp2(self, opcode: int, rd: int, rn: int, rm: int, sf: bool = True) -> None:
        """Data-processing (2 source): 2 udiv, 3 sdiv, 8 lslv, 9 lsrv, 10 asrv, 11 rorv."""
        self.emit(sf << 31 | 0x1AC00000 | rm << 16 | opcode << 10 | rn << 5 | rd)

    def dp1(self, opcode: int, rd: int, rn: int, sf: bool = True) -> None:
        """Data-processing (1 source): 0 rbit, 1 rev16, 2 rev32/rev(w), 3 rev(x), 4 clz."""
        self.emit(sf << 31 | 0x5AC00000 | opcode << 10 | rn << 5 | rd)

    def madd(self, rd: int, rn: int, rm: int, ra: int, sf: bool = True, sub: bool = False) -> None:
        self.emit(sf << 31 | 0x1B000000 | rm << 16 | sub << 15 | ra << 10 | rn << 5 | rd)

    def mulh(self, rd: int, rn: int, rm: int, signed: bool) -> None:
        """smulh / umulh (64-bit)."""
        self.emit(0x9B407C00 | (0 if signed else 1 << 23) | rm << 16 | rn << 5 | rd)

    def mull(self, rd: int, rn: int, rm: int, signed: bool) -> None:
        """smull / umull: 64-bit product of two w registers."""
        self.emit(0x9B207C00 | (0 if signed else 1 << 23) | rm << 16 | rn << 5 | rd)

    def bfm(self, opc: int, rd: int, rn: int, immr: int, imms: int, sf: bool = True) -> None:
        """opc 0 sbfm, 1 bfm, 2 ubfm."""
        self.emit(sf << 31 | opc << 29 | 0x13000000 | sf << 22 | immr << 16 | imms << 10
                  | rn << 5 | rd)  # fmt: skip

    def extr(self, rd: int, rn: int, rm: int, lsb: int, sf: bool = True) -> None:
        self.emit(sf << 31 | 0x13800000 | sf << 22 | rm << 16 | lsb << 10 | rn << 5 | rd)

    def csel(self, rd: int, rn: int, rm: int, cond: int, sf: bool = True, op: int = 0) -> None:
        """op 0 csel, 1 csinc, 2 csinv, 3 csneg."""
        o1, o2 = op >> 1, op & 1
        self.emit(sf << 31 | o1 << 30 | 0x1A800000 | rm << 16 | cond << 12 | o2 << 10 | rn << 5
                  | rd)  # fmt: skip

    def cset(self, rd: int, cond: int, sf: bool = True) -> None:
        self.csel(rd, ZR, ZR, invert(cond), sf, op=1)

    def csetm(self, rd: int, cond: int, sf: bool = True) -> None:
        self.csel(rd, ZR, ZR, invert(cond), sf, op=2)

    # -- loads and stores -----------------------------------------------------------------

    def ldst(self, size: int, opc: int, rt: int, rn: int, offset: int) -> None:
        """Unsigned scaled offset (or unscaled when it does not fit): size 0-3 = 1-8 bytes;
        opc 0 store, 1 load, 2 load signed to 64, 3 load signed to 32."""
        scale = 1 << size
        if offset >= 0 and offset % scale == 0 and offset // scale < 4096:
            self.emit(size << 30 | 0x39000000 | opc << 22 | (offset // scale) << 10 | rn << 5 | rt)
        else:
            assert -256 <= offset < 256, offset
            self.emit(size << 30 | 0x38000000 | opc << 22 | (offset & 0x1FF) << 12 | rn << 5 | rt)

    def ldst_reg(self, size: int, opc: int, rt: int, rn: int, rm: int) -> None:
        """[rn, rm] (register offset, lsl #0)."""
        self.emit(size << 30 | 0x38206800 | opc << 22 | rm << 16 | rn << 5 | rt)

    def ldp_stp(self, load: bool, rt: int, rt2: int, rn: int, offset: int,
                mode: str = "off") -> None:  # fmt: skip
        """64-bit pair; mode "off" (signed offset), "pre", "post"."""
        kind = {"post": 0b001, "off": 0b010, "pre": 0b011}[mode]
        self.emit(0xA8000000 | kind << 23 | load << 22 | ((offset // 8) & 0x7F) << 15 | rt2 << 10
                  | rn << 5 | rt)  # fmt: skip

    # -- system -------------------------------------------------------------------------------

    def mrs_fpcr(self, rt: int) -> None:
        self.emit(0xD53B4400 | rt)

    def msr_fpcr(self, rt: int) -> None:
        self.emit(0xD51B4400 | rt)

    def dmb(self, kind: int = 15) -> None:
        """dmb ishld when only earlier loads need ordering, ishst when only stores
        against stores, else dmb ish (``kind``: MemOrder bits)."""
        if not kind & 0b1010:  # LD_LD | LD_ST only
            self.emit(0xD50339BF)  # dmb ishld
        elif kind == 0b1000:  # ST_ST
            self.emit(0xD5033ABF)  # dmb ishst
        else:
            self.emit(0xD5033BBF)  # dmb ish

    def ldaxr(self, size: int, rt: int, rn: int) -> None:
        """ldaxr{b,h,,} rt, [rn] (``size``: log2 of the bytes)."""
        self.emit(LDAXR[size] | rn << 5 | rt)

    def stlxr(self, size: int, rs: int, rt: int, rn: int) -> None:
        """stlxr{b,h,,} ws, rt, [rn]: ws = 0 if stored."""
        self.emit(STLXR[size] | rs << 16 | rn << 5 | rt)

    def lse_al(self, size: int, op: int, rs: int, rt: int, rn: int) -> None:
        """An LSE atomic with acquire and release semantics: ``op`` LD_ADD ... LD_UMIN
        (ld<op>al{b,h,,} rs, rt, [rn]: [rn] <- [rn] <op> rs) or SWP (swpal: [rn] <- rs);
        rt gets the old value, zero-extended for ``size`` (log2 of the bytes) < 3."""
        o3, opc = (1, 0) if op == SWP else (0, op)
        self.emit(size << 30 | 0x38E00000 | rs << 16 | o3 << 15 | opc << 12 | rn << 5 | rt)

    def ldaxp(self, rt: int, rt2: int, rn: int) -> None:
        """ldaxp xt, xt2, [rn]: the 16 bytes, single-copy atomic if a store-exclusive
        of them then succeeds."""
        self.emit(0xC87F8000 | rt2 << 10 | rn << 5 | rt)

    def stlxp(self, rs: int, rt: int, rt2: int, rn: int) -> None:
        """stlxp ws, xt, xt2, [rn]: ws = 0 if stored (ws none of xt, xt2, rn)."""
        self.emit(0xC8208000 | rs << 16 | rt2 << 10 | rn << 5 | rt)

    def caspal(self, rs: int, rt: int, rn: int) -> None:
        """caspal xs, xs+1, xt, xt+1, [rn] (LSE; rs and rt even): if the 16 bytes at
        [rn] (16-byte aligned) are xs+1:xs, store xt+1:xt; xs:xs+1 get the pair read."""
        self.emit(0x4860FC00 | rs << 16 | rn << 5 | rt)

    def clrex(self) -> None:
        self.emit(0xD5033F5F)

    def nop(self) -> None:
        self.emit(0xD503201F)

    # -- floating point (scalar) ---------------------------------------------------------------

    def fmov_to_fp(self, vd: int, rn: int, double: bool) -> None:
        """fmov dN, xM / sN, wM."""
        self.emit((0x9E670000 if double else 0x1E270000) | rn << 5 | vd)

    def fmov_from_fp(self, rd: int, vn: int, double: bool) -> None:
        self.emit((0x9E660000 if double else 0x1E260000) | vn << 5 | rd)

    def fp2(self, opcode: int, vd: int, vn: int, vm: int, double: bool) -> None:
        """0 fmul 1 fdiv 2 fadd 3 fsub 4 fmax 5 fmin 6 fmaxnm 7 fminnm."""
        self.emit(0x1E200800 | double << 22 | vm << 16 | opcode << 12 | vn << 5 | vd)

    def fp1(self, opcode: int, vd: int, vn: int, double: bool) -> None:
        """0 fmov 1 fabs 2 fneg 3 fsqrt 4 fcvt->s 5 fcvt->d 8-15 frintn p m z a - x i."""
        self.emit(0x1E204000 | double << 22 | opcode << 15 | vn << 5 | vd)

    def fmadd(self, vd: int, vn: int, vm: int, va: int, double: bool) -> None:
        self.emit(0x1F000000 | double << 22 | vm << 16 | va << 10 | vn << 5 | vd)

    def fcmp(self, vn: int, vm: int, double: bool) -> None:
        self.emit(0x1E202000 | double << 22 | vm << 16 | vn << 5)

    def cvt_to_int(self, rmode: int, signed: bool, rd: int, vn: int, double: bool,
                   sf: bool = True) -> None:  # fmt: skip
        """fcvt{n,p,m,z}{s,u} (rmode 0-3) and fcvta{s,u} (rmode 4)."""
        if rmode == 4:
            rm_bits, op = 0, 0b100 | (0 if signed else 1)
        else:
            rm_bits, op = rmode, 0 if signed else 1
        self.emit(sf << 31 | 0x1E200000 | double << 22 | rm_bits << 19 | op << 16 | vn << 5 | rd)

    def cvt_from_int(self, signed: bool, vd: int, rn: int, double: bool, sf: bool = True) -> None:
        """scvtf / ucvtf from a general register."""
        self.emit(sf << 31 | 0x1E220000 | double << 22 | (0 if signed else 1) << 16 | rn << 5 | vd)

    def cnt8b(self, vd: int, vn: int) -> None:
        self.emit(0x0E205800 | vn << 5 | vd)

    def addv8b(self, vd: int, vn: int) -> None:
        self.emit(0x0E31B800 | vn << 5 | vd)

    # -- vector (the Cryptographic Extension's operands) -----------------------------------

    def ins_d1(self, vd: int, rn: int) -> None:
        """mov vd.d[1], xn (INS, general): the upper half of vd; the lower half kept."""
        self.emit(0x4E181C00 | rn << 5 | vd)

    def umov_d1(self, rd: int, vn: int) -> None:
        """mov xd, vn.d[1] (UMOV): the upper half of vn."""
        self.emit(0x4E183C00 | vn << 5 | rd)

    def aes(self, opcode: int, vd: int, vn: int) -> None:
        """``AES_*`` (AESE, AESD: vd <- round(vd ^ vn); AESMC, AESIMC: vd <- mix(vn))."""
        self.emit(0x4E280800 | opcode << 12 | vn << 5 | vd)

    def sha_3(self, opcode: int, vd: int, vn: int, vm: int) -> None:
        """SHA three-register: SHA1C qd, sn, vm.4s (0), SHA1P (1), SHA1M (2), SHA1SU0
        vd.4s, vn.4s, vm.4s (3), SHA256H qd, qn, vm.4s (4), SHA256H2 (5), SHA256SU1 (6)."""
        self.emit(0x5E000000 | vm << 16 | opcode << 12 | vn << 5 | vd)

    def sha_2(self, opcode: int, vd: int, vn: int) -> None:
        """SHA two-register: SHA1H sd, sn (0), SHA1SU1 vd.4s, vn.4s (1), SHA256SU0 (2)."""
        self.emit(0x5E280800 | opcode << 12 | vn << 5 | vd)

    def sha512_3(self, opcode: int, vd: int, vn: int, vm: int) -> None:
        """SHA512H qd, qn, vm.2d (0), SHA512H2 (1), SHA512SU1 vd.2d, vn.2d, vm.2d (2)."""
        self.emit(0xCE608000 | vm << 16 | opcode << 10 | vn << 5 | vd)

    def sha512su0(self, vd: int, vn: int) -> None:
        """sha512su0 vd.2d, vn.2d."""
        self.emit(0xCEC08000 | vn << 5 | vd)

    def pmull_1q(self, vd: int, vn: int, vm: int) -> None:
        """pmull vd.1q, vn.1d, vm.1d: the 128-bit carry-less product of the low halves."""
        self.emit(0x0EE0E000 | vm << 16 | vn << 5 | vd)


#: the opcode field of ``Asm.aes``
AESE, AESD, AESMC, AESIMC = 4, 5, 6, 7
#: the opcode field of ``Asm.sha_3``
SHA1C, SHA1P, SHA1M, SHA1SU0, SHA256H, SHA256H2, SHA256SU1 = 0, 1, 2, 3, 4, 5, 6
#: the opcode field of ``Asm.sha_2``
SHA1H, SHA1SU1, SHA256SU0 = 0, 1, 2
#: the opcode field of ``Asm.sha512_3``
SHA512H, SHA512H2, SHA512SU1 = 0, 1, 2
