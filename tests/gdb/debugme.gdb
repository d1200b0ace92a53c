# gdb commands for examples/bin/linux/debugme.elf, built -O0 -g (tests/test_gdbstub.py
# runs them against `tcgkit run -g` and `qemu-aarch64-static -g`; @PORT@ is replaced,
# @WATCH@ too: qemu-user refuses hardware watchpoints, so gdb single-steps for qemu and
# sets one with Z2 for tcgkit; one command a line)
set architecture aarch64
set confirm off
set pagination off
directory examples
@WATCH@
target remote :@PORT@
p/x $cpsr
break add_square
continue
bt
p counter
p x
ptype add_square
finish
p counter
p $
set var counter = 100
p counter
next
next
info locals
p total * 10
p square(7)
x/2xg &counter
watch counter
continue
continue
bt 2
delete 1
continue
info watchpoints
delete
continue
