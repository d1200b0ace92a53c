# gdb commands for examples/bin/sort.elf (tests/test_gdbstub.py runs them against
# `tcgkit run -g` and `qemu-aarch64-static -g`; @PORT@ is replaced; one command a line)
set architecture aarch64
set confirm off
target remote :@PORT@
info registers pc
break main
continue
info registers pc
p $x0
x/4xw $pc
p/x *(long *)($sp + 8)
stepi
info registers pc
p/x $cpsr
stepi
stepi
info registers pc
break *0x400210
continue
info registers pc
p $x1 == 0x41f000
p/x $x2
p $v1.d.u
x/2xg 0x41ffe8
delete
break *0x4009d4
continue
info registers pc
set var $x0 = 42
p $x0
set var *(long *)0x41ffe8 = 0x1122334455667788
x/2xg 0x41ffe8
set var $v1.d.u[1] = 7
p $v1.d.u
p/x $q1
p $d1
info registers fpsr fpcr
delete
continue
