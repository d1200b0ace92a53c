# gdb commands for `debugme signal` (tests/test_gdbstub.py, against qemu-aarch64-static):
# each signal stops the guest before it is taken; continue delivers SIGUSR1 (gdb passes
# it), `signal 0` suppresses SIGUSR2, whose default action would end the program
set architecture aarch64
set confirm off
set pagination off
directory examples
@WATCH@
target remote :@PORT@
continue
bt 3
p handled
continue
bt 3
p handled
signal 0
