# gdb commands for `netwait signal|restart PATH` (tests/test_gdbstub.py, against
# qemu-aarch64-static): the second thread blocks in accept; SIGUSR1, which only it does
# not block, ends the call and stops the guest there, at the system call instruction
# (the call set up to be made again, as Linux does); continue delivers it: accept fails
# with EINTR without SA_RESTART and is made again with it (the program checks which)
set architecture aarch64
set confirm off
set pagination off
directory examples
target remote :@PORT@
continue
bt 2
x/i $pc
p $x8
p handled
continue
