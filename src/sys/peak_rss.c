/* One repetition's peak resident set (sensors.h): the kernel's VmHWM, reset
 * by writing 5 to /proc/self/clear_refs (Linux 4.0 and later). */
#include "sys/sensors.h"

#include "sensors_impl.h"

#include <fcntl.h>
#include <unistd.h>

int teai_peak_rss_reset(void) {
#if defined(__linux__)
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w = write(fd, "5", 1);
    close(fd);
    return w == 1 ? 0 : -1;
#else
    return -1;
#endif
}

uint64_t teai_peak_rss_since_reset(void) {
    char buf[8192], why[64];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    uint64_t kb = 0;
    if (n <= 0 || teai__parse_vmhwm_kb(buf, (size_t)n, &kb, why, sizeof why) != 0) return 0;
    return kb * 1024;
}
