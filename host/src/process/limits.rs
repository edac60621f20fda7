//! Per-process limits enforced by the host.

use std::fmt;

/// A process went past one of its limits; it ends with
/// [`ExitReason::Limit`](crate::ExitReason::Limit).
#[derive(Debug)]
pub(crate) struct LimitExceeded(pub(crate) String);

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// The wasmtime resource limiter of one process.
pub(crate) struct ProcessLimiter {
    pub(crate) max_memory: usize,
}

impl wasmtime::ResourceLimiter for ProcessLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory {
            return Err(wasmtime::Error::new(LimitExceeded(format!(
                "memory: growing linear memory from {current} to {desired} bytes exceeds the process limit of {} bytes",
                self.max_memory
            ))));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // A table element costs a pointer: hold tables to the memory limit.
        Ok(desired.saturating_mul(size_of::<usize>()) <= self.max_memory)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        4
    }

    fn tables(&self) -> usize {
        16
    }
}
