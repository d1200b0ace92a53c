#!/usr/bin/env bash
# Build the example guest programs: static aarch64 Linux ELFs at -O2 with
# Debian's cross compiler (apt: gcc-aarch64-linux-gnu), freestanding ones on
# src/rt.c and five on glibc (four with threads). The
# binaries are committed; rerun this after changing a source.
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
python3 src/gen_manyfuncs.py > src/manyfuncs.c
python3 src/gen_coldcode.py > src/coldcode.c
CFLAGS="-O2 -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -Wall"
for src in src/*.c; do
    name=$(basename "$src" .c)
    [ "$name" = rt ] && continue
    $CC $CFLAGS -o "bin/$name.elf" "$src" src/rt.c
    echo "built bin/$name.elf"
done
# linked against the cross toolchain's static glibc (libc6-dev-arm64-cross)
$CC -O2 -static -o bin/hello_glibc.elf src/glibc/hello.c
echo "built bin/hello_glibc.elf"
for name in threads pthread_edges parallel_sum litmus; do
    $CC -O2 -static -pthread -o "bin/$name.elf" "src/glibc/$name.c"
    echo "built bin/$name.elf"
done
