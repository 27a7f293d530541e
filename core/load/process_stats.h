// CPU time and peak memory of a process, for benchmark reports: a target's (--target-pid) from
// /proc, and the load generator's own.
#pragma once

namespace vigil::load {

// User plus system CPU seconds of pid so far; NaN when it cannot be read.
double process_cpu_seconds(int pid);
// Peak resident memory (VmHWM) of pid in bytes; NaN when it cannot be read.
double process_rss_bytes(int pid);
// User plus system CPU seconds of this process so far.
double self_cpu_seconds();

}  // namespace vigil::load
