/* isasim start-up code for cm7, linked only when the program defines no _start.
 * Sets the stack, calls main, and exits with main's return value through semihosting
 * SYS_EXIT_EXTENDED (0x20) with {ADP_Stopped_ApplicationExit, code}, as QEMU does. */
  .syntax unified
  .thumb
  .section .text.start, "ax"
  .globl _start
  .type _start, %function
  .thumb_func
_start:
  ldr r0, =__stack_top
  mov sp, r0
  bl main
  sub sp, sp, #8
  ldr r1, =0x20026          /* ADP_Stopped_ApplicationExit */
  str r1, [sp]
  str r0, [sp, #4]          /* exit code */
  movs r0, #0x20            /* SYS_EXIT_EXTENDED */
  mov r1, sp
  bkpt 0xab
1: b 1b
  .pool
