/* isasim_region.h -- mark a region of code for the per-region profile (docs/explorer.md
 * "Regions"). Usable from C and from assembly (.S), on every target:
 *
 *   C:    ISASIM_REGION_BEGIN(inner); ...code...; ISASIM_REGION_END(inner);
 *   .S:   ISASIM_REGION_BEGIN inner
 *         ...code...
 *         ISASIM_REGION_END inner
 *
 * A region is the address range from its BEGIN to its END marker (a name may be used for several
 * ranges; they add up). The markers are local labels (symbols __isasim_region_begin.<name>.<n> /
 * __isasim_region_end.<name>.<n>): no instruction, no cycle. In C the compiler may move code across
 * them (they are ordered only against memory accesses and other asm); check the disassembly. */
#ifndef ISASIM_REGION_H
#define ISASIM_REGION_H
#ifdef __ASSEMBLER__
.macro ISASIM_REGION_BEGIN name
__isasim_region_begin.\name\().\@:
.endm
.macro ISASIM_REGION_END name
__isasim_region_end.\name\().\@:
.endm
#else
#define ISASIM_REGION_BEGIN(name) __asm__ volatile("__isasim_region_begin." #name ".%=:" ::: "memory")
#define ISASIM_REGION_END(name) __asm__ volatile("__isasim_region_end." #name ".%=:" ::: "memory")
#endif
#endif
