"""A short create / map / run / close loop on the x86_64 host, for valgrind: one vCPU,
then three vCPUs in threads (with a guest atomic each, so the host's compare-and-swap
routines are made and freed too), closed while they run.

Run (documented in the README's Reliability section):
    PYTHONMALLOC=malloc valgrind --leak-check=full --show-leak-kinds=definite \\
        python tcg-host-x86/tests/valgrind_loop.py
"""

from tcgkit_target_toy.testing import CODE, DATA, build

for _ in range(10):
    emu = build("li r1, 3\nl: addi r1, r1, -1\nbnz r1, l\n", host="x86_64")
    emu.emu_start(CODE, emu.end)
    emu.close()

for _ in range(2):
    emu = build("li r1, 1\nl: addi r0, r0, 1\nbnz r1, l\n", host="x86_64")  # forever
    for cpu in [emu.add_cpu() for _ in range(2)] + [emu.cpus[0]]:
        cpu.start(CODE, emu.end)
    emu.engine.host.cas(emu.engine.ram_page(DATA >> 12)[4], 0, 1, 3)
    emu.close()
