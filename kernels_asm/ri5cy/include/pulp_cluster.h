/* pulp_cluster.h - isasim GAP-8 cluster programming helpers, usable from .S and .c files.
 *
 * Event unit (isasim's register layout, NOT GAP-8's real one; see docs/gap8.md):
 *   EU_BASE + 0x0  barrier     load (p.elw or lw): returns 0 once every core that has not exited
 *                              has arrived; all cores leave in the same cycle
 *   EU_BASE + 0x4  core id     load: this core's id (also mhartid & 0x1f)
 *   EU_BASE + 0x8  nb cores    load: number of cores of the run (--cores N)
 * Every core starts at _start (SPMD); crt0 gives core i the stack __stack_top - i*__stack_size.
 * The exit code of core 0 (return from main / ecall a7=93) is the run's; its exit ends the run.
 *
 * Assembly (statements separated by ';', registers as macro arguments):
 *   PULP_CORE_ID(a0)          a0 = core id          (clobbers nothing else)
 *   PULP_NB_CORES(a1, t0)     a1 = number of cores  (clobbers t0)
 *   PULP_BARRIER(t0)          wait for all cores    (clobbers t0)
 * C:
 *   pulp_core_id(), pulp_nb_cores(), pulp_barrier()
 */
#ifndef PULP_CLUSTER_H
#define PULP_CLUSTER_H

#define EU_BASE          0x10204000
#define EU_BARRIER_OFF   0x0
#define EU_CORE_ID_OFF   0x4
#define EU_NB_CORES_OFF  0x8

#ifdef __ASSEMBLER__

#define PULP_CORE_ID(rd)        csrr rd, mhartid ; andi rd, rd, 0x1f
#define PULP_NB_CORES(rd, tmp)  li tmp, EU_BASE ; lw rd, EU_NB_CORES_OFF(tmp)
#define PULP_BARRIER(tmp)       li tmp, EU_BASE ; p.elw x0, EU_BARRIER_OFF(tmp)

#else

static inline int pulp_core_id(void)
{
    int id;
    __asm__ volatile("csrr %0, mhartid" : "=r"(id));
    return id & 0x1f;
}

static inline int pulp_nb_cores(void)
{
    return *(volatile int *)(EU_BASE + EU_NB_CORES_OFF);
}

static inline void pulp_barrier(void)
{
    /* a load from the barrier register; "memory" keeps the compiler from moving accesses across */
    __asm__ volatile("lw x0, %0(%1)" : : "i"(EU_BARRIER_OFF), "r"(EU_BASE) : "memory");
}

#endif
#endif
