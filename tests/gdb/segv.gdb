# gdb commands for `debugme segv` (tests/test_gdbstub.py, against qemu-aarch64-static):
# the fault stops the guest at the faulting store; continue delivers SIGSEGV to the
# program's handler, which exits with 3
set architecture aarch64
set confirm off
set pagination off
directory examples
@WATCH@
target remote :@PORT@
continue
bt
p $pc
continue
