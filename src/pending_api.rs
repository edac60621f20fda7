//! TEMPORARY: the two `Node` methods branch `main` is adding
//! (`start_supervisor`, `exit`), stubbed so that this branch builds and its
//! parsing can be tested until they land. Removed by the merge of main.

use warren_host::{ExitReason, Node, Pid, ProcessHandle, SupervisorSpec};

/// The stubs.
pub trait PendingNodeApi {
    /// Not yet: always an error.
    fn start_supervisor(&self, spec: &SupervisorSpec) -> Result<ProcessHandle, String>;
    /// Not yet: does nothing.
    fn exit(&self, pid: Pid, reason: ExitReason);
}

impl PendingNodeApi for Node {
    fn start_supervisor(&self, _spec: &SupervisorSpec) -> Result<ProcessHandle, String> {
        Err("supervisors are not merged yet".into())
    }

    fn exit(&self, _pid: Pid, _reason: ExitReason) {}
}
