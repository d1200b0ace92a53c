# gdb commands for examples/bin/threads.elf (tests/test_gdbstub.py: tcgkit only; qemu's
# stub loses track of the threads here); @PORT@ is replaced; one command a line.
# One stop in a worker thread: gdb 13 gets confused when several new threads sit on
# a breakpoint at one stop (see the report of issue 19), so the breakpoint goes then.
set architecture aarch64
set confirm off
target remote :@PORT@
break worker
continue
p $x0 < 4
p $pc == 0x4009ec
info threads
delete
continue
