# gdb commands for examples/bin/linux/threadstops.elf (tests/test_gdbstub.py): three
# threads hit one breakpoint at nearly one moment, then stop for three signals at nearly
# one moment; each continue reports one stop (the others' wait their turn), in any order
set architecture aarch64
set confirm off
set pagination off
directory examples
target remote :@PORT@
break ready
continue
break meet
continue
p id
continue
p id
continue
p id
delete
continue
continue
continue
continue
