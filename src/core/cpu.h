/* Internal: run-time CPU feature detection and kernel-level selection. */
#ifndef A2A_CORE_CPU_H
#define A2A_CORE_CPU_H

#include "any2any.h"

/* Kernel levels, ordered: a variant of level L may run when a2a_kernel_level() >= L. */
typedef enum a2a_kernel_level {
    A2A_LEVEL_REF = 0,    /* portable scalar reference (always built) */
    A2A_LEVEL_AVX2 = 1,   /* AVX2 + FMA + F16C */
    A2A_LEVEL_AVX512 = 2, /* AVX-512 F/BW/DQ/VL (+VNNI/BF16 when the feature bits say so) */
    A2A_LEVEL_AMX = 3,    /* AMX tiles (BF16/INT8), permission granted */
} a2a_kernel_level;

/* Probe the CPU once and, where AMX exists, ask the kernel for tile-data permission.
   Must run before any worker thread is created; called by a2a_ctx_new and by the
   library constructor. Idempotent and thread-safe. */
void a2a_cpu_init(void);

/* Highest kernel level usable on this CPU, capped by the environment variable
   A2A_KERNELS=ref|avx2|avx512|amx (A2A_FORCE_REF=1 is the same as A2A_KERNELS=ref). */
a2a_kernel_level a2a_kernel_level_get(void);

/* Override the level for this process (tests use this to run every variant);
   the value is clamped to what the CPU supports. Returns the level now in force. */
a2a_kernel_level a2a_kernel_level_set(a2a_kernel_level level);

/* Highest level the CPU supports, ignoring overrides. */
a2a_kernel_level a2a_kernel_level_max(void);

/* Name of a level ("ref", "avx2", "avx512", "amx"). */
const char *a2a_kernel_level_name(a2a_kernel_level level);

/* True when the CPU has the given A2A_CPU_* bits. */
static inline int a2a_cpu_has(unsigned bits) { return (a2a_cpu_features() & bits) == bits; }

#endif
