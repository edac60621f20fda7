//! CPU time the hypervisor took from this machine (steal time): on a
//! virtual machine it shows when another guest was using the host's cores,
//! which slows every benchmark figure taken meanwhile.

/// The machine's CPU time so far, from the `cpu` line of `/proc/stat` (in
/// clock ticks, summed over CPUs).
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTimes {
    /// Time stolen by the hypervisor.
    pub steal: u64,
    /// All time: user, nice, system, idle, iowait, irq, softirq and steal.
    pub total: u64,
}

impl CpuTimes {
    /// Reads `/proc/stat`; `None` where there is none (not Linux).
    pub fn read() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let fields: Vec<u64> = line.split_whitespace().skip(1).take(8).filter_map(|f| f.parse().ok()).collect();
        if fields.len() < 8 {
            return None;
        }
        Some(CpuTimes { steal: fields[7], total: fields.iter().sum() })
    }

    /// The time since `earlier` (or, of a span, what is left without the
    /// part `earlier`).
    pub fn since(self, earlier: CpuTimes) -> CpuTimes {
        CpuTimes { steal: self.steal.saturating_sub(earlier.steal), total: self.total.saturating_sub(earlier.total) }
    }

    /// What `other` adds to this span.
    pub fn plus(self, other: CpuTimes) -> CpuTimes {
        CpuTimes { steal: self.steal + other.steal, total: self.total + other.total }
    }

    /// The stolen share of this span, in percent (`None` if it is empty).
    pub fn stolen_percent(self) -> Option<f64> {
        (self.total > 0).then(|| 100.0 * self.steal as f64 / self.total as f64)
    }
}
