"""Write coldcode.c: about a thousand small, varied functions of the shapes
compiled C is made of (switches gcc turns into jump tables, for loops of
varying trip count and body, while loops with an early break, nested ifs,
struct and array updates, calls down a call DAG), each run only a few times,
so that a run spends its time translating thousands of cold blocks rather
than executing a hot loop (issue 13: translation speed).

Deterministic: the choices come from a fixed-seed splitmix64 written out
here (not the random module), so the output is the same on every run and
every Python version."""

N = 800  # generated functions
ROUNDS = 3  # times main calls each of them
DIRECT_EVERY = 4  # every 4th function is called directly, the rest through a table
DRIVER_SIZE = 45  # direct calls per driver function

MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def between(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def sample(self, seq, k: int) -> list:
        pool = list(seq)
        out = []
        for _ in range(k):
            out.append(pool.pop(self.below(len(pool))))
        return out

    def const(self) -> str:
        """An odd constant, as C source: mostly small, as in real code."""
        bits = self.choice([8, 8, 12, 12, 16, 32])
        return f"0x{self.next() & ((1 << bits) - 1) | 1:x}u"


rng = SplitMix64(13)


def expr(v: str, w: str) -> str:
    """An integer expression of the uint64_t values v and w, in parentheses."""
    c, s = rng.const(), rng.between(1, 29)
    e = rng.choice(
        [
            f"{v} * {c} + {w}",
            f"({v} ^ {c}) >> {s}",
            f"({v} << {s % 13 + 1}) - {w}",
            f"{v} + ({w} >> {s}) + {c}",
            f"({v} | {c}) ^ ({w} << {s % 7 + 1})",
            f"({v} & {c}) * {rng.between(3, 97)}u",
            f"{v} - {w} * {rng.between(3, 97)}u",
            f"({v} >> {s}) | ({w} << {64 - s})",
            f"(uint32_t){v} * (uint64_t)(uint32_t){w}",
            f"{v} ^ ({v} >> {s}) ^ {c}",
        ]
    )
    return f"({e})"


def cond(v: str, w: str) -> str:
    """An integer comparison of the uint64_t values v and w."""
    mask = rng.between(1, 255)
    return rng.choice(
        [
            f"{v} > {w}",
            f"({v} & {mask}u) == {rng.below(256) & mask}u",
            f"(int64_t){v} < (int64_t){w}",
            f"(({v} ^ {w}) >> {rng.between(1, 60)}) & 1",
            f"(uint32_t){v} >= {rng.const()}",
            f"{v} % {rng.between(3, 11)}u == {rng.between(0, 2)}u",
        ]
    )


def stmt(acc: str, v: str, w: str) -> str:
    """A statement updating acc from the values v and w."""
    return rng.choice(
        [
            f"{acc} += {expr(v, w)};",
            f"{acc} ^= {expr(w, v)};",
            f"{acc} = ({acc} << {rng.between(1, 9)}) ^ ({acc} >> {rng.between(3, 40)}) ^ {v};",
            f"{acc} *= {rng.const()};",
            f"if ({cond(acc, v)})\n            {acc} -= {expr(v, w)};",
            f"if ({cond(v, w)})\n            {acc} += {w};\n        else\n"
            f"            {acc} ^= {expr(v, acc)};",
        ]
    )


def switch_fn(i: int) -> str:
    # gcc -O2 on aarch64 emits a jump table (a br through a table) from 11
    # cases on; one switch in four is smaller and becomes a compare tree
    ncases = rng.between(6, 10) if rng.below(4) == 0 else rng.between(11, 16)
    base = rng.between(0, 31 - ncases)
    lines = [f"    uint64_t r = y + {rng.const()};"]
    lines.append(f"    switch ((x >> {rng.between(0, 40)}) & 31u) {{")
    fell = False
    for case in range(base, base + ncases):
        lines.append(f"    case {case}:")
        op = "^=" if fell else "="
        if rng.below(4) == 0:
            lines.append(f"        if ({cond('x', 'y')})")
            lines.append(f"            r {op} {expr('x', 'r')};")
            lines.append("        else")
            lines.append(f"            r {op} {expr('y', 'x')};")
        else:
            lines.append(f"        r {op} {expr('x', 'y')};")
        fell = rng.below(6) == 0 and case != base + ncases - 1
        if not fell:
            lines.append("        break;")
    lines.append("    default:")
    lines.append(f"        r = {expr('y', 'x')};")
    lines.append("    }")
    lines.append(f"    return r ^ {rng.const()};")
    return "\n".join(lines)


def for_fn(i: int) -> str:
    base, mask = rng.between(1, 4), rng.choice([0, 1, 3])
    step = rng.choice(["k++", "k++", "k += 2"])
    limit = f"{base}u + (unsigned)(x & {mask}u)" if mask else f"{base + 1}u"
    lines = [f"    uint64_t acc = {rng.const()};"]
    if step == "k += 2":
        limit = f"2u * ({limit})"
    lines.append(f"    for (unsigned k = 0; k < {limit}; {step}) {{")
    for _ in range(rng.between(1, 3)):
        v, w = rng.choice([("x", "y"), ("(uint64_t)k", "x"), ("y", "x"), ("x", "(uint64_t)k")])
        lines.append("        " + stmt("acc", v, w))
    lines.append(f"        x = x * {rng.const()} + k;")
    lines.append("    }")
    lines.append(f"    return acc + {expr('y', 'x')};")
    return "\n".join(lines)


def while_fn(i: int) -> str:
    limit = rng.between(3, 7)
    lines = [f"    uint64_t v = (x ^ {rng.const()}) | 1;", "    unsigned n = 0;"]
    lines.append(f"    while (n < {limit}u) {{")
    lines.append(f"        if ({cond('v', 'y')})")
    lines.append("            break;")
    update = rng.choice(
        [
            "v = (v & 1) ? v * 3 + 1 : v >> 1;",
            f"v = (v >> {rng.between(1, 7)}) ^ (v * {rng.const()});",
            f"v += y ^ (v << {rng.between(1, 11)});",
        ]
    )
    lines.append(f"        {update}")
    if rng.below(2):
        lines.append(f"        y = {expr('y', 'v')};")
    lines.append("        n++;")
    lines.append("    }")
    lines.append(f"    return v * {rng.between(3, 99)}u + n + y;")
    return "\n".join(lines)


def if_fn(i: int) -> str:
    lines = ["    uint64_t r;"]
    lines.append(f"    if ({cond('x', 'y')}) {{")
    lines.append(f"        if ({cond('y', 'x')})")
    lines.append(f"            r = {expr('x', 'y')};")
    lines.append("        else")
    lines.append(f"            r = {expr('y', 'x')};")
    lines.append(f"    }} else if ({cond('y', 'x')}) {{")
    lines.append(f"        r = {expr('x', 'y')};")
    lines.append(f"        g_count[{i % 16}] += (uint32_t)r;")
    lines.append("    } else {")
    lines.append(f"        r = {expr('y', 'x')};")
    lines.append(f"        if ({cond('r', 'x')})")
    lines.append(f"            r ^= g_count[{rng.below(16)}];")
    lines.append("    }")
    lines.append(f"    return r + {rng.const()};")
    return "\n".join(lines)


def array_fn(i: int) -> str:
    lines = [f"    struct rec *p = &g_rec[(x ^ {rng.const()}) & 31u];"]
    lines.append("    p->a += (uint32_t)x;")
    lines.append(f"    p->b ^= (uint32_t)(y >> {rng.between(1, 31)});")
    lines.append(f"    p->c = p->c * {rng.const()} + p->a;")
    if rng.below(2):
        n = rng.between(3, 6)
        lines.append(f"    uint32_t t[{n}];")
        lines.append(f"    for (int k = 0; k < {n}; k++)")
        lines.append(f"        t[k] = g_arr[(p->a + (uint32_t)k * {rng.between(3, 61)}u) & 255u];")
        lines.append(f"    g_arr[(uint32_t)y & 255u] = t[{rng.below(n)}] ^ p->b;")
        lines.append(f"    return p->c ^ t[(uint32_t)x % {n}u];")
    else:
        j = rng.below(256)
        lines.append(f"    g_arr[{j}] = g_arr[{j}] * {rng.between(3, 99)}u + p->b;")
        lines.append("    if (p->a > p->b) {")
        lines.append("        uint32_t s = p->a;")
        lines.append("        p->a = p->b;")
        lines.append("        p->b = s;")
        lines.append("    }")
        lines.append(f"    return p->c + g_arr[(p->a ^ {rng.between(0, 255)}u) & 255u];")
    return "\n".join(lines)


def call_fn(i: int) -> str:
    lo = max(0, i - 60)
    j, k = rng.sample(range(lo, i), 2)
    lines = [f"    uint64_t a = f{j}(x ^ {rng.const()}, y);"]
    if rng.below(2):
        lines.append(f"    if ({cond('a', 'x')})")
        lines.append(f"        a += f{k}(y, a);")
    else:
        lines.append(f"    a = {expr('a', 'x')};")
    lines.append(f"    return a * {rng.const()} + x;")
    return "\n".join(lines)


SHAPES = [switch_fn, for_fn, while_fn, if_fn, array_fn, switch_fn, for_fn, call_fn]


def main() -> None:
    print("/* Generated by gen_coldcode.py: do not edit. */")
    print('#include "rt.h"')
    print()
    print("struct rec {")
    print("    uint32_t a, b;")
    print("    uint64_t c;")
    print("};")
    print("static struct rec g_rec[32];")
    print("static uint32_t g_arr[256];")
    print("static uint32_t g_count[16];")
    for i in range(N):
        shape = SHAPES[i % len(SHAPES)]  # call_fn comes at i = 7 at the earliest
        print()
        print(f"__attribute__((noinline)) static uint64_t f{i}(uint64_t x, uint64_t y)")
        print("{")
        print(shape(i))
        print("}")
    direct = [i for i in range(N) if i % DIRECT_EVERY == 0]
    indirect = [i for i in range(N) if i % DIRECT_EVERY]
    order = rng.sample(indirect, len(indirect))
    print()
    print("static uint64_t (*const table[])(uint64_t, uint64_t) = {")
    print(",\n".join(f"    f{i}" for i in order))
    print("};")
    drivers = [direct[k : k + DRIVER_SIZE] for k in range(0, len(direct), DRIVER_SIZE)]
    for d, group in enumerate(drivers):
        print()
        print(f"__attribute__((noinline)) static uint64_t drive{d}(uint64_t h, uint64_t r)")
        print("{")
        for i in group:
            arg = rng.choice(["r", "h >> 17", "r * 31u + h", "~h"])
            print(f"    h = (h ^ f{i}(h, {arg})) * 0x100000001b3ull;")
        print("    return h;")
        print("}")
    print(f"""
int main(int argc, char **argv)
{{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t r = 0; r < {ROUNDS}; r++) {{
        for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
            h = (h ^ table[i](h, r + i)) * 0x100000001b3ull;""")
    for d in range(len(drivers)):
        print(f"        h = drive{d}(h, r);")
    print("""    }
    for (int k = 0; k < 32; k++)
        h = (h ^ g_rec[k].c ^ g_rec[k].a) * 0x100000001b3ull;
    for (int k = 0; k < 256; k++)
        h = (h ^ g_arr[k]) * 0x100000001b3ull;
    for (int k = 0; k < 16; k++)
        h = (h ^ g_count[k]) * 0x100000001b3ull;
    print_str("coldcode ");
    print_hex(h);
    print_str("\\n");
    return 0;
}""")


if __name__ == "__main__":
    main()
