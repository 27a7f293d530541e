// Another process's CPU time and peak memory from /proc, for benchmark reports (--target-pid).
#pragma once

namespace vigil::load {

// User plus system CPU seconds of pid so far; NaN when it cannot be read.
double process_cpu_seconds(int pid);
// Peak resident memory (VmHWM) of pid in bytes; NaN when it cannot be read.
double process_rss_bytes(int pid);

}  // namespace vigil::load
