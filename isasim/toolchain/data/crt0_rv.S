/* isasim start-up code for ri5cy/gap8, linked only when the program defines no _start.
 * Every core runs it (SPMD): the stack of core i is __stack_top - i*__stack_size; then main() is
 * called and its return value is the exit code (ecall with a7 = 93). */
  .section .text.start, "ax"
  .globl _start
_start:
  csrr t0, mhartid
  la sp, __stack_top
  la t1, __stack_size
  mul t1, t1, t0
  sub sp, sp, t1
  call main
  li a7, 93
  ecall
1: j 1b
