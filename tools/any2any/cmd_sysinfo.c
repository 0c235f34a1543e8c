/* any2any sysinfo: CPU features and the kernel level chosen at run time. */
#include "any2any.h"
#include "cli.h"
#include "core/cpu.h"
#include "core/threadpool.h"

#include <stdio.h>

int cli_sysinfo(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("any2any %s\n", a2a_version());
    printf("cpu features: %s\n", a2a_cpu_features_str());
    printf("kernel level: %s (max %s)\n", a2a_kernel_level_name(a2a_kernel_level_get()),
           a2a_kernel_level_name(a2a_kernel_level_max()));
    printf("threads: %d\n", a2a_cpu_count());
    return 0;
}
