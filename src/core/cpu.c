#include "core/cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define A2A_X86 1
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

static unsigned g_features;
static char g_features_str[96];
static a2a_kernel_level g_max_level;
static _Atomic int g_level = -1;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#ifdef A2A_X86
static unsigned long long xgetbv0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

/* Ask Linux for permission to use AMX tile data (XFEATURE_XTILEDATA = 18). */
static int request_amx_permission(void) {
#if defined(__linux__) && defined(SYS_arch_prctl)
    const int ARCH_GET_XCOMP_PERM = 0x1022, ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) return 0;
    unsigned long bitmask = 0;
    if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &bitmask) != 0) return 0;
    return (bitmask & (1ul << XFEATURE_XTILEDATA)) != 0;
#else
    return 0;
#endif
}
#endif

static void probe(void) {
    unsigned f = 0;
#ifdef A2A_X86
    unsigned a, b, c, d;
    if (__get_cpuid_count(1, 0, &a, &b, &c, &d)) {
        int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1, avx = (c >> 28) & 1;
        unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
        int ymm_ok = (xcr0 & 0x6) == 0x6;
        int zmm_ok = (xcr0 & 0xe6) == 0xe6;
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            int avx2 = (b >> 5) & 1;
            int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
            int vnni = (c >> 11) & 1;
            int amx_bf16 = (d >> 22) & 1, amx_tile = (d >> 24) & 1, amx_int8 = (d >> 25) & 1;
            unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
            __get_cpuid_count(7, 1, &a1, &b1, &c1, &d1);
            int bf16 = (a1 >> 5) & 1;
            if (ymm_ok && avx && avx2 && fma && f16c) f |= A2A_CPU_AVX2;
            if ((f & A2A_CPU_AVX2) && zmm_ok && avx512f && avx512dq && avx512bw && avx512vl) {
                f |= A2A_CPU_AVX512;
                if (vnni) f |= A2A_CPU_AVX512_VNNI;
                if (bf16) f |= A2A_CPU_AVX512_BF16;
            }
            int amx_os = (xcr0 & (3ull << 17)) == (3ull << 17); /* XTILECFG + XTILEDATA enabled */
            if ((f & A2A_CPU_AVX512) && amx_tile && amx_int8 && amx_bf16 && amx_os && request_amx_permission())
                f |= A2A_CPU_AMX;
        }
    }
#endif
    g_features = f;
    char *p = g_features_str;
    p[0] = 0;
    if (f & A2A_CPU_AVX2) strcat(p, "avx2 ");
    if (f & A2A_CPU_AVX512) strcat(p, "avx512 ");
    if (f & A2A_CPU_AVX512_VNNI) strcat(p, "avx512_vnni ");
    if (f & A2A_CPU_AVX512_BF16) strcat(p, "avx512_bf16 ");
    if (f & A2A_CPU_AMX) strcat(p, "amx ");
    if (!p[0]) strcpy(p, "scalar ");
    p[strlen(p) - 1] = 0;
    g_max_level = (f & A2A_CPU_AMX) ? A2A_LEVEL_AMX
                : (f & A2A_CPU_AVX512) ? A2A_LEVEL_AVX512
                : (f & A2A_CPU_AVX2) ? A2A_LEVEL_AVX2 : A2A_LEVEL_REF;
    a2a_kernel_level lvl = g_max_level;
    const char *env = getenv("A2A_KERNELS");
    const char *force_ref = getenv("A2A_FORCE_REF");
    if (force_ref && force_ref[0] && strcmp(force_ref, "0") != 0) env = "ref";
    if (env) {
        a2a_kernel_level want = lvl;
        if (!strcmp(env, "ref")) want = A2A_LEVEL_REF;
        else if (!strcmp(env, "avx2")) want = A2A_LEVEL_AVX2;
        else if (!strcmp(env, "avx512")) want = A2A_LEVEL_AVX512;
        else if (!strcmp(env, "amx")) want = A2A_LEVEL_AMX;
        if (want < lvl) lvl = want;
    }
    atomic_store(&g_level, (int)lvl);
}

/* Library constructor: probe (and request AMX permission) before main() starts threads. */
__attribute__((constructor)) static void a2a_cpu_ctor(void) { a2a_cpu_init(); }

void a2a_cpu_init(void) { pthread_once(&g_once, probe); }

unsigned a2a_cpu_features(void) {
    a2a_cpu_init();
    return g_features;
}

const char *a2a_cpu_features_str(void) {
    a2a_cpu_init();
    return g_features_str;
}

a2a_kernel_level a2a_kernel_level_max(void) {
    a2a_cpu_init();
    return g_max_level;
}

a2a_kernel_level a2a_kernel_level_get(void) {
    a2a_cpu_init();
    return (a2a_kernel_level)atomic_load(&g_level);
}

a2a_kernel_level a2a_kernel_level_set(a2a_kernel_level level) {
    a2a_cpu_init();
    if (level > g_max_level) level = g_max_level;
    if (level < A2A_LEVEL_REF) level = A2A_LEVEL_REF;
    atomic_store(&g_level, (int)level);
    return level;
}

const char *a2a_kernel_level_name(a2a_kernel_level level) {
    switch (level) {
    case A2A_LEVEL_REF: return "ref";
    case A2A_LEVEL_AVX2: return "avx2";
    case A2A_LEVEL_AVX512: return "avx512";
    case A2A_LEVEL_AMX: return "amx";
    }
    return "?";
}
