# gdb commands for `debugme signal` (tests/test_gdbstub.py, against qemu-aarch64-static):
# continue delivers both signals; SIGUSR2's default action ends the program
set architecture aarch64
set confirm off
set pagination off
directory examples
@WATCH@
target remote :@PORT@
continue
continue
continue
