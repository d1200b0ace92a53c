"""Power ISA (64-bit, little-endian) instruction encoding: 32-bit words.

Owns ``Asm`` (instruction words with labels and branch fix-ups) and the
encoders of the forms a lowering needs (Power ISA v3.1 book I, chapter 1.6:
I, B, D, DS, X, XO, M, MD, MDS, XFX and A forms), load-and-reserve /
store-conditional included (lqarx / stqcx. of a pair too). Register numbers are
0-31; in D-form address and add-immediate operands, ``ra`` = 0 means the
value 0, not r0. Nothing here knows about IR or the ELFv2 ABI.
"""

from __future__ import annotations

import struct

SP, TOC, TP = 1, 2, 13

# BO/BI of conditional branches on CR0: (BO, BI bit within the CR field)
LT, GT, EQ, SO = range(4)
BO_TRUE, BO_FALSE, BO_ALWAYS = 12, 4, 20
BO_FALSE_UNLIKELY = 6  # branch if false, hinted not taken (bne-: a retry loop's branch)


def fits_s16(v: int) -> bool:
    return -(1 << 15) <= v < (1 << 15)


def fits_u16(v: int) -> bool:
    return 0 <= v < (1 << 16)


_INDEXED = {"lbzx": 87, "lhzx": 279, "lhax": 343, "lwzx": 23, "lwax": 341, "ldx": 21,
            "stbx": 215, "sthx": 407, "stwx": 151, "stdx": 149, "lhbrx": 790, "lwbrx": 534,
            "ldbrx": 532, "sthbrx": 918, "stwbrx": 662, "stdbrx": 660}  # fmt: skip


# X-form extended opcodes by log2 of the size: lbarx lharx lwarx ldarx (the byte and
# halfword forms are ISA 2.06) and stbcx. sthcx. stwcx. stdcx.
_LARX = (52, 116, 20, 84)
_STCX = (694, 726, 150, 214)
#: lqarx and stqcx. (ISA 2.07): a quadword in an even/odd register pair
LQARX, STQCX = 276, 182


class Label:
    __slots__ = ("pos", "refs")

    def __init__(self) -> None:
        self.pos = -1
        self.refs: list[tuple[int, str]] = []


class Asm:
    """A growing block of Power code (words, stored little-endian)."""

    def __init__(self) -> None:
        self.words: list[int] = []

    @property
    def pos(self) -> int:
        return 4 * len(self.words)

    def emit(self, word: int) -> None:
        self.words.append(word & 0xFFFFFFFF)

    def code(self) -> bytes:
        return struct.pack(f"<{len(self.words)}I", *self.words)

    # -- forms ------------------------------------------------------------------------

    def d(self, opcd: int, rt: int, ra: int, imm: int) -> None:
        self.emit(opcd << 26 | rt << 21 | ra << 16 | (imm & 0xFFFF))

    def ds(self, opcd: int, rt: int, ra: int, imm: int, xo: int) -> None:
        assert imm % 4 == 0, imm
        self.emit(opcd << 26 | rt << 21 | ra << 16 | (imm & 0xFFFC) | xo)

    def x(self, rt: int, ra: int, rb: int, xo: int, rc: int = 0) -> None:
        self.emit(31 << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc)

    def xo(self, rt: int, ra: int, rb: int, xo: int, rc: int = 0) -> None:
        self.emit(31 << 26 | rt << 21 | ra << 16 | rb << 11 | xo << 1 | rc)

    # -- labels and branches ------------------------------------------------------------

    def bind(self, label: Label) -> None:
        label.pos = self.pos
        for index, kind in label.refs:
            self._fix(index, kind, label.pos)

    def _fix(self, index: int, kind: str, target: int) -> None:
        delta = target - 4 * index
        w = self.words[index]
        if kind == "b":
            self.words[index] = (w & 0xFC000003) | (delta & 0x3FFFFFC)
        else:
            self.words[index] = (w & 0xFFFF0003) | (delta & 0xFFFC)

    def _branch(self, word: int, label: Label, kind: str) -> None:
        index = len(self.words)
        self.emit(word)
        if label.pos >= 0:
            self._fix(index, kind, label.pos)
        else:
            label.refs.append((index, kind))

    def b(self, label: Label) -> None:
        self._branch(18 << 26, label, "b")

    def bc(self, bo: int, bi: int, label: Label) -> None:
        self._branch(16 << 26 | bo << 21 | bi << 16, label, "bc")

    def bctr(self, link: bool = False) -> None:
        self.emit(19 << 26 | BO_ALWAYS << 21 | 528 << 1 | link)

    def blr(self) -> None:
        self.emit(19 << 26 | BO_ALWAYS << 21 | 16 << 1)

    def mfspr(self, rt: int, spr: int) -> None:
        self.emit(31 << 26 | rt << 21 | (spr & 31) << 16 | (spr >> 5) << 11 | 339 << 1)

    def mtspr(self, spr: int, rs: int) -> None:
        self.emit(31 << 26 | rs << 21 | (spr & 31) << 16 | (spr >> 5) << 11 | 467 << 1)

    def mflr(self, rt: int) -> None:
        self.mfspr(rt, 8)

    def mtlr(self, rs: int) -> None:
        self.mtspr(8, rs)

    def mtctr(self, rs: int) -> None:
        self.mtspr(9, rs)

    def nop(self) -> None:
        self.emit(0x60000000)

    def sync(self, lw: bool = False) -> None:
        self.emit(31 << 26 | (1 if lw else 0) << 21 | 598 << 1)

    def isync(self) -> None:
        self.emit(19 << 26 | 150 << 1)

    # -- integer arithmetic -------------------------------------------------------------

    def addi(self, rt: int, ra: int, imm: int) -> None:
        self.d(14, rt, ra, imm)

    def addis(self, rt: int, ra: int, imm: int) -> None:
        self.d(15, rt, ra, imm)

    def li(self, rt: int, imm: int) -> None:
        self.addi(rt, 0, imm)

    def mov_imm(self, rt: int, value: int) -> None:
        """rt <- value (64-bit), in at most five instructions."""
        value &= (1 << 64) - 1
        s = value - (1 << 64) if value >> 63 else value
        if fits_s16(s):
            self.li(rt, s)
            return
        if -(1 << 31) <= s < (1 << 31):
            self.addis(rt, 0, (s >> 16) & 0xFFFF)
            if s & 0xFFFF:
                self.ori(rt, rt, s & 0xFFFF)
            return
        if value < (1 << 32):
            self.li(rt, 0)
            self.oris(rt, rt, value >> 16)
            if value & 0xFFFF:
                self.ori(rt, rt, value & 0xFFFF)
            return
        high = value >> 32
        self.mov_imm(rt, high if high < (1 << 31) else high - (1 << 32))
        self.rldicr(rt, rt, 32, 31)  # sldi 32
        if value & 0xFFFF0000:
            self.oris(rt, rt, (value >> 16) & 0xFFFF)
        if value & 0xFFFF:
            self.ori(rt, rt, value & 0xFFFF)

    def add(self, rt: int, ra: int, rb: int) -> None:
        self.xo(rt, ra, rb, 266)

    def subf(self, rt: int, ra: int, rb: int) -> None:
        """rt <- rb - ra."""
        self.xo(rt, ra, rb, 40)

    def neg(self, rt: int, ra: int) -> None:
        self.xo(rt, ra, 0, 104)

    def mulld(self, rt: int, ra: int, rb: int) -> None:
        self.xo(rt, ra, rb, 233)

    def mullw(self, rt: int, ra: int, rb: int) -> None:
        self.xo(rt, ra, rb, 235)

    def mulhd(self, rt: int, ra: int, rb: int, unsigned: bool = False) -> None:
        self.xo(rt, ra, rb, 9 if unsigned else 73)

    def mulhw(self, rt: int, ra: int, rb: int, unsigned: bool = False) -> None:
        self.xo(rt, ra, rb, 11 if unsigned else 75)

    def divd(self, rt: int, ra: int, rb: int, unsigned: bool = False) -> None:
        self.xo(rt, ra, rb, 457 if unsigned else 489)

    def divw(self, rt: int, ra: int, rb: int, unsigned: bool = False) -> None:
        self.xo(rt, ra, rb, 459 if unsigned else 491)

    def addc(self, rt: int, ra: int, rb: int, extended: bool = False) -> None:
        """addc (CA out) / adde (CA in and out)."""
        self.xo(rt, ra, rb, 138 if extended else 10)

    def subfc(self, rt: int, ra: int, rb: int, extended: bool = False) -> None:
        """rt <- rb - ra, with CA: subfc / subfe."""
        self.xo(rt, ra, rb, 136 if extended else 8)

    def mod(self, rt: int, ra: int, rb: int, double: bool, unsigned: bool) -> None:
        """ISA 3.0 moddu / modsd / moduw / modsw."""
        xo = {(True, True): 265, (True, False): 777, (False, True): 267, (False, False): 779}
        self.x(rt, ra, rb, xo[(double, unsigned)])

    # -- logic (X form: rs is the source, ra the destination) ------------------------------

    def logic(self, xo: int, ra: int, rs: int, rb: int, rc: int = 0) -> None:
        """28 and, 444 or, 316 xor, 476 nand, 124 nor, 284 eqv, 60 andc, 412 orc."""
        self.x(rs, ra, rb, xo, rc)

    def mr(self, ra: int, rs: int) -> None:
        self.logic(444, ra, rs, rs)

    def ori(self, ra: int, rs: int, imm: int) -> None:
        self.d(24, rs, ra, imm)

    def oris(self, ra: int, rs: int, imm: int) -> None:
        self.d(25, rs, ra, imm)

    def xori(self, ra: int, rs: int, imm: int) -> None:
        self.d(26, rs, ra, imm)

    def xoris(self, ra: int, rs: int, imm: int) -> None:
        self.d(27, rs, ra, imm)

    def andi_(self, ra: int, rs: int, imm: int) -> None:
        self.d(28, rs, ra, imm)

    def unary_x(self, xo: int, ra: int, rs: int, rc: int = 0) -> None:
        """58 cntlzd, 26 cntlzw, 570 cnttzd, 538 cnttzw, 506 popcntd, 378 popcntw,
        954 extsb, 922 extsh, 986 extsw."""
        self.x(rs, ra, 0, xo, rc)

    def shift(self, xo: int, ra: int, rs: int, rb: int) -> None:
        """27 sld, 539 srd, 794 srad, 24 slw, 536 srw, 792 sraw."""
        self.x(rs, ra, rb, xo)

    def sradi(self, ra: int, rs: int, sh: int) -> None:
        self.emit(31 << 26 | rs << 21 | ra << 16 | (sh & 31) << 11 | 413 << 2 | (sh >> 5) << 1)

    def srawi(self, ra: int, rs: int, sh: int) -> None:
        self.x(rs, ra, sh, 824)

    # -- rotates (MD / MDS / M forms) ---------------------------------------------------------

    def _md(self, xo: int, ra: int, rs: int, sh: int, mb: int) -> None:
        mb6 = (mb & 31) << 1 | mb >> 5
        self.emit(30 << 26 | rs << 21 | ra << 16 | (sh & 31) << 11 | mb6 << 5 | xo << 2
                  | (sh >> 5) << 1)  # fmt: skip

    def rldicl(self, ra: int, rs: int, sh: int, mb: int) -> None:
        self._md(0, ra, rs, sh, mb)

    def rldicr(self, ra: int, rs: int, sh: int, me: int) -> None:
        self._md(1, ra, rs, sh, me)

    def rldic(self, ra: int, rs: int, sh: int, mb: int) -> None:
        self._md(2, ra, rs, sh, mb)

    def rldimi(self, ra: int, rs: int, sh: int, mb: int) -> None:
        self._md(3, ra, rs, sh, mb)

    def rldcl(self, ra: int, rs: int, rb: int, mb: int) -> None:
        mb6 = (mb & 31) << 1 | mb >> 5
        self.emit(30 << 26 | rs << 21 | ra << 16 | rb << 11 | mb6 << 5 | 8 << 1)

    def rlwinm(self, ra: int, rs: int, sh: int, mb: int, me: int) -> None:
        self.emit(21 << 26 | rs << 21 | ra << 16 | sh << 11 | mb << 6 | me << 1)

    def rlwimi(self, ra: int, rs: int, sh: int, mb: int, me: int) -> None:
        self.emit(20 << 26 | rs << 21 | ra << 16 | sh << 11 | mb << 6 | me << 1)

    def rlwnm(self, ra: int, rs: int, rb: int, mb: int, me: int) -> None:
        self.emit(23 << 26 | rs << 21 | ra << 16 | rb << 11 | mb << 6 | me << 1)

    # -- compare and select -----------------------------------------------------------------

    def cmp(
        self, ra: int, rb: int, double: bool = True, logical: bool = False, bf: int = 0
    ) -> None:
        self.x(bf << 2 | double, ra, rb, 32 if logical else 0)

    def cmpi(self, ra: int, imm: int, double: bool = True, bf: int = 0) -> None:
        self.d(11, bf << 2 | double, ra, imm)

    def cmpli(self, ra: int, imm: int, double: bool = True, bf: int = 0) -> None:
        self.d(10, bf << 2 | double, ra, imm)

    def isel(self, rt: int, ra: int, rb: int, bc: int) -> None:
        """rt <- CR bit ``bc`` ? ra : rb (ra = 0 means 0)."""
        self.emit(31 << 26 | rt << 21 | ra << 16 | rb << 11 | bc << 6 | 15 << 1)

    def setbc(self, rt: int, bi: int, negate: bool = False, reverse: bool = False) -> None:
        """ISA 3.1 setbc / setbcr / setnbc / setnbcr."""
        xo = {(False, False): 384, (False, True): 416, (True, False): 448, (True, True): 480}
        self.x(rt, bi, 0, xo[(negate, reverse)])

    # -- loads and stores ---------------------------------------------------------------------

    def ld(self, rt: int, ra: int, disp: int) -> None:
        self.ds(58, rt, ra, disp, 0)

    def lwa(self, rt: int, ra: int, disp: int) -> None:
        self.ds(58, rt, ra, disp, 2)

    def std(self, rs: int, ra: int, disp: int) -> None:
        self.ds(62, rs, ra, disp, 0)

    def stdu(self, rs: int, ra: int, disp: int) -> None:
        self.ds(62, rs, ra, disp, 1)

    def load(self, opcd: str, rt: int, ra: int, disp: int) -> None:
        """D-form: lbz lhz lha lwz stb sth stw, and lfd stfd (rt an FPR)."""
        self.d({"lbz": 34, "lhz": 40, "lha": 42, "lwz": 32, "stb": 38, "sth": 44,
                "stw": 36, "lfd": 50, "stfd": 54}[opcd], rt, ra, disp)  # fmt: skip

    def indexed(self, name: str, rt: int, ra: int, rb: int) -> None:
        """X-form indexed: l{b,h,w,d}zx lhax lwax st{b,h,w,d}x and the byte-reversed
        lhbrx lwbrx ldbrx sthbrx stwbrx stdbrx."""
        xo = _INDEXED[name]
        self.x(rt, ra, rb, xo)

    def larx(self, rt: int, ra: int, rb: int, log2: int) -> None:
        """l{b,h,w,d}arx rt, ra, rb: load ``1 << log2`` bytes zero-extended and reserve."""
        self.x(rt, ra, rb, _LARX[log2])

    def stcx(self, rs: int, ra: int, rb: int, log2: int) -> None:
        """st{b,h,w,d}cx. rs, ra, rb: store if the reservation holds (CR0 EQ if it did)."""
        self.x(rs, ra, rb, _STCX[log2], 1)

    def lqarx(self, rtp: int, ra: int, rb: int) -> None:
        """lqarx rtp, ra, rb: load the aligned quadword and reserve it, into the even
        register ``rtp`` and ``rtp + 1``. Little-endian: ``rtp + 1`` gets the
        doubleword at the address, ``rtp`` the one 8 bytes on."""
        if rtp & 1 or rtp in (ra, rb) or rtp + 1 in (ra, rb):
            raise ValueError(f"lqarx r{rtp}: an even pair apart from the address")
        self.x(rtp, ra, rb, LQARX)

    def stqcx(self, rsp: int, ra: int, rb: int) -> None:
        """stqcx. rsp, ra, rb: store the pair ``rsp`` (even) and ``rsp + 1`` if the
        reservation holds (CR0 EQ if it did); the same doubleword order as lqarx."""
        if rsp & 1:
            raise ValueError(f"stqcx. r{rsp}: the pair starts at an even register")
        self.x(rsp, ra, rb, STQCX, 1)

    # -- floating point and moves between register files ---------------------------------------

    def mtvsrd(self, xt: int, ra: int) -> None:
        """ISA 2.07: doubleword 0 of VSR xt (0-31: the FPRs, 32-63: the VRs) <- GPR ra."""
        self.emit(31 << 26 | (xt & 31) << 21 | ra << 16 | 179 << 1 | xt >> 5)

    def mfvsrd(self, ra: int, xs: int) -> None:
        """GPR ra <- doubleword 0 of VSR xs."""
        self.emit(31 << 26 | (xs & 31) << 21 | ra << 16 | 51 << 1 | xs >> 5)

    # -- vector (VSX moves and the vector crypto facility, ISA 2.07) ---------------------------

    def xxpermdi(self, xt: int, xa: int, xb: int, dm: int) -> None:
        """VSR xt <- (doubleword dm >> 1 of xa, doubleword dm & 1 of xb)."""
        self.emit(60 << 26 | (xt & 31) << 21 | (xa & 31) << 16 | (xb & 31) << 11 | dm << 8
                  | 10 << 3 | (xa >> 5) << 2 | (xb >> 5) << 1 | xt >> 5)  # fmt: skip

    def vx(self, xo: int, vrt: int, vra: int, vrb: int) -> None:
        """VX-form (``VX_*``): VR vrt <- op(VR vra, VR vrb)."""
        self.emit(4 << 26 | vrt << 21 | vra << 16 | vrb << 11 | xo)

    def vperm(self, vrt: int, vra: int, vrb: int, vrc: int) -> None:
        """VR vrt byte i <- byte vrc[i] & 31 of vra:vrb (big-endian byte numbering)."""
        self.emit(4 << 26 | vrt << 21 | vra << 16 | vrb << 11 | vrc << 6 | 43)

    def vspltisb(self, vrt: int, sim: int) -> None:
        """Every byte of VR vrt <- the 5-bit signed immediate."""
        self.emit(4 << 26 | vrt << 21 | (sim & 31) << 16 | 780)

    def lvsl(self, vrt: int, ra: int, rb: int) -> None:
        """VR vrt <- bytes sh, sh + 1, ... sh + 15 with sh = ((ra|0) + rb) & 15 (no access)."""
        self.emit(31 << 26 | vrt << 21 | ra << 16 | rb << 11 | 6 << 1)

    def fp_a(self, opcd: int, xo: int, frt: int, fra: int, frb: int, frc: int = 0) -> None:
        """A-form: opcd 63 (double) / 59 (single); xo 21 fadd 20 fsub 25 fmul 18 fdiv
        22 fsqrt 29 fmadd (frt = fra * frc + frb)."""
        self.emit(opcd << 26 | frt << 21 | fra << 16 | frb << 11 | frc << 6 | xo << 1)

    def fp_x(self, xo: int, frt: int, frb: int, fra: int = 0) -> None:
        """X-form opcode 63: 12 frsp, 14 fctiw 15 fctiwz 814 fctid 815 fctidz 846 fcfid
        ... and 0 fcmpu (frt is BF << 2)."""
        self.emit(63 << 26 | frt << 21 | fra << 16 | frb << 11 | xo << 1)

    def fcmpu(self, fra: int, frb: int, bf: int = 0) -> None:
        self.emit(63 << 26 | bf << 23 | fra << 16 | frb << 11)

    def mtfsfi(self, bf: int, u: int) -> None:
        """FPSCR field ``bf`` <- u (field 7 holds XE NI RN)."""
        self.emit(63 << 26 | bf << 23 | u << 12 | 134 << 1)

    def fp_x59(self, xo: int, frt: int, frb: int) -> None:
        """X-form opcode 59: 846 fcfids, 974 fcfidus."""
        self.emit(59 << 26 | frt << 21 | frb << 11 | xo << 1)

    def xx2(self, xo: int, xt: int, xb: int) -> None:
        """VSX XX2 form (opcode 60) on VSRs 0-31: 331 xscvspdpn, 267 xscvdpspn,
        107 xsrdpic."""
        self.emit(60 << 26 | xt << 21 | xb << 11 | xo << 2)

    def mffs(self, frt: int) -> None:
        self.emit(63 << 26 | frt << 21 | 583 << 1)

    def mtfsf(self, flm: int, frb: int) -> None:
        self.emit(63 << 26 | flm << 17 | frb << 11 | 711 << 1)


#: ``Asm.vx``'s extended opcodes
VX_XOR, VX_PMSUMD = 1220, 1224
VX_CIPHER, VX_CIPHERLAST, VX_NCIPHER, VX_NCIPHERLAST = 1288, 1289, 1352, 1353
