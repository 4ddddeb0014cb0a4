/* Read bandwidth of this machine: threads sum disjoint parts of a buffer much
 * larger than the caches, with the widest loads the CPU has
 * (teai_membw_measure, src/sys/membw.c). Prints best and median GB/s (1e9
 * bytes/s) over the passes.
 *   teai-membw [THREADS] [MIB] [PASSES]   (defaults: all cores, 1024, 15) */
#include "sys/sensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = argc > 1 ? atoi(argv[1]) : (int)(cpus > 0 ? cpus : 1);
    size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 1024;
    int passes = argc > 3 ? atoi(argv[3]) : 15;
    if (nt < 1 || nt > 1024 || mib < 64 || passes < 1 || passes > 1000) {
        fprintf(stderr, "usage: teai-membw [THREADS] [MIB >= 64] [PASSES]\n");
        return 2;
    }
    double best = 0, median = 0;
    teai_error err = {0};
    if (teai_membw_measure(nt, mib, passes, &best, &median, &err) != TEAI_OK) {
        fprintf(stderr, "teai-membw: %s\n", err.msg);
        return 1;
    }
    printf("threads %d  buffer %zu MiB  passes %d  best %.1f GB/s  median %.1f GB/s\n", nt, mib,
           passes, best, median);
    return 0;
}
