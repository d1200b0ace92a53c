# gdb commands for examples/bin/threads.elf (tests/test_gdbstub.py: tcgkit only; qemu's
# stub loses track of the threads here); @PORT@ is replaced; one command a line.
# Each of the four workers stops once at the breakpoint, in an order the threads decide
# (a new thread may reach it while another's stop is reported: it waits its turn).
set architecture aarch64
set confirm off
target remote :@PORT@
break worker
continue
p $x0 < 4
continue
p $x0 < 4
continue
p $x0 < 4
continue
p $x0 < 4
info threads
continue
