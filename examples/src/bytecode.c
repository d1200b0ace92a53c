/* A bytecode interpreter: a stack machine running a program that computes
 * primes and Fibonacci numbers. Dispatch through a jump table (indirect
 * branches): the workload that stresses TB lookups most. */
#include "rt.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JZ, JMP, PRINT, HALT, DUP, POP };

static const int64_t code[] = {
    /* count the primes below 3000 by trial division */
    PUSH, 2, STORE, 0,                        /*  0: n = 2 */
    PUSH, 0, STORE, 2,                        /*  4: count = 0 */
    LOAD, 0, PUSH, 3000, LT, JZ, 64,          /*  8: while n < 3000 */
    PUSH, 2, STORE, 1,                        /* 15:   d = 2 */
    LOAD, 1, LOAD, 1, MUL, LOAD, 0, PUSH, 1, ADD, LT, JZ, 48, /* 19: while d*d < n+1 */
    LOAD, 0, LOAD, 1, MOD, JZ, 55,            /* 32:     if n % d == 0: next n */
    LOAD, 1, PUSH, 1, ADD, STORE, 1, JMP, 19, /* 39:     d++ */
    LOAD, 2, PUSH, 1, ADD, STORE, 2,          /* 48:   count++ */
    LOAD, 0, PUSH, 1, ADD, STORE, 0, JMP, 8,  /* 55:   n++ */
    LOAD, 2, PRINT, HALT,                     /* 64: print count */
};

static int64_t run(const int64_t *prog, long fixup)
{
    int64_t stack[64], vars[8] = {0};
    int sp = 0;
    long pc = 0;
    int64_t last = 0;
    (void)fixup;
    for (;;) {
        int64_t op = prog[pc++];
        switch (op) {
        case PUSH: stack[sp++] = prog[pc++]; break;
        case LOAD: stack[sp++] = vars[prog[pc++]]; break;
        case STORE: vars[prog[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: { int64_t t = prog[pc++]; if (!stack[--sp]) pc = t; break; }
        case JMP: pc = prog[pc]; break;
        case PRINT: last = stack[--sp]; print_str("result "); print_u64(last); print_str("\n"); break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case POP: sp--; break;
        case HALT: return last;
        default: print_str("bad opcode\n"); return -1;
        }
    }
}

int main(int argc, char **argv)
{
    int64_t r = run(code, 0);
    return r > 0 ? 0 : 1;
}
