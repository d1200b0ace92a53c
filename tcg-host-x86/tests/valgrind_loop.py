"""A short create / map / run / close loop on the x86_64 host, for valgrind.

Run (documented in the README's Reliability section):
    PYTHONMALLOC=malloc valgrind --leak-check=full --show-leak-kinds=definite \\
        python tcg-host-x86/tests/valgrind_loop.py
"""

from tcgkit_target_toy.testing import CODE, build

for _ in range(20):
    emu = build("li r1, 3\nl: addi r1, r1, -1\nbnz r1, l\n", host="x86_64")
    emu.emu_start(CODE, emu.end)
    emu.close()
