#pragma once

namespace sensix {

// The cores this process may run on: its CPU affinity (what `taskset`, a container's cpuset or
// systemd's CPUAffinity= allow), not every core the machine has online. A Device document's
// `cores` and the scheduler's budget count these. At least 1.
int usable_cores();

}  // namespace sensix
