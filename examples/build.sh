#!/usr/bin/env bash
# Build the example guest programs: static aarch64 Linux ELFs at -O2 with
# Debian's cross compiler (apt: gcc-aarch64-linux-gnu), freestanding ones on
# src/rt.c and six on glibc (four with threads, one -Ofast); and in bin/linux the
# programs of Linux user mode's tests (src/linux: static on glibc, and
# hello_dynamic, dynamically linked against the cross libc, which
# tcgkit run -L /usr/aarch64-linux-gnu runs, pauth_bti and bti_elf (pointer
# authentication, BTI), and debugme, netwait and
# threadstops, built -O0 -g for gdb). The binaries are committed;
# rerun this after changing a source.
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
python3 src/gen_manyfuncs.py > src/manyfuncs.c
python3 src/gen_coldcode.py > src/coldcode.c
CFLAGS="-O2 -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -Wall"
for src in src/*.c; do
    name=$(basename "$src" .c)
    [ "$name" = rt ] && continue
    extra=""  # crypto.c: the cryptographic extension's intrinsics (ACLE)
    [ "$name" = crypto ] && extra="-march=armv8.2-a+crypto+fp16+dotprod+sha3"
    $CC $CFLAGS $extra -o "bin/$name.elf" "$src" src/rt.c
    echo "built bin/$name.elf"
done
# linked against the cross toolchain's static glibc (libc6-dev-arm64-cross)
$CC -O2 -static -o bin/hello_glibc.elf src/glibc/hello.c
echo "built bin/hello_glibc.elf"
# -Ofast: gcc links crtfastmath.o (FPCR.FZ set before main) and vectorizes the float loops
$CC -Ofast -static -o bin/fastmath.elf src/glibc/fastmath.c -lm
echo "built bin/fastmath.elf"
for name in threads pthread_edges parallel_sum litmus; do
    $CC -O2 -static -pthread -o "bin/$name.elf" "src/glibc/$name.c"
    echo "built bin/$name.elf"
done
mkdir -p bin/linux
for name in files abort signals sigasync sigthreads forkthreads memory process sockets sysvshm; do
    $CC -O2 -static -o "bin/linux/$name.elf" "src/linux/$name.c"
    echo "built bin/linux/$name.elf"
done
$CC -O2 -static -pthread -o bin/linux/mprotect_threads.elf src/linux/mprotect_threads.c
echo "built bin/linux/mprotect_threads.elf"
$CC -O2 -o bin/linux/hello_dynamic.elf src/linux/hello_dynamic.c
echo "built bin/linux/hello_dynamic.elf"
# pointer authentication and BTI (Armv8.5-A mnemonics); bti_elf without libc, every
# object marked for BTI, so that its text is guarded
$CC -O2 -static -march=armv8.5-a -pthread -o bin/linux/pauth_bti.elf src/linux/pauth_bti.c
echo "built bin/linux/pauth_bti.elf"
$CC $CFLAGS -mbranch-protection=standard -o bin/linux/bti_elf.elf src/linux/bti_elf.c src/rt.c
echo "built bin/linux/bti_elf.elf"
# with debug info, for tests/test_gdbstub.py's gdb scripts (paths relative to examples/)
for name in debugme netwait threadstops; do
    $CC -O0 -g -static -fdebug-prefix-map="$PWD"=. -o "bin/linux/$name.elf" "src/linux/$name.c"
    echo "built bin/linux/$name.elf"
done
