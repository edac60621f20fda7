//! Tasks (feature `serde`): Elixir's `Task` and `Task.Supervisor` for Rust
//! functions. A task is a process that runs one function of this module
//! (as [`crate::spawn_fn`] does) and sends its result back as a term.
//!
//! ```ignore
//! use warren::task::{self, StreamOptions, Task};
//!
//! fn square(n: u64) -> u64 { n * n }
//!
//! let task = Task::async_(square, &7)?;
//! assert_eq!(task.await_(Some(5_000))?, 49);
//!
//! let tasks = (1..=3).map(|n| Task::async_(square, &n)).collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(task::await_many(tasks, Some(5_000))?, [1, 4, 9]);
//!
//! let squares: Vec<u64> = task::async_stream(1..=100u64, square, &StreamOptions::new().max_concurrency(4))
//!     .collect::<Result<_, _>>()?;
//! ```
//!
//! # How results travel
//!
//! Each task (or stream) gets a tag of its own, fresh in its owner (a
//! counter above [`TAG_TASK_BASE`]); the task sends its owner one message
//! with that tag: `[index: u64 LE][status: u8][bytes]`, status 0 with the
//! result's term, 1 with the text of a panic (the task's panic hook sends
//! it before the process exits, feature `std`), 2 when the result has no
//! term encoding. The owner waits for that tag only, so its other messages
//! stay queued; between slices of the wait it checks that the task still
//! lives (see [`TaskError::Lost`]). A task given up on (an await's
//! timeout, a shutdown, a stream's `kill_task`) is killed and waited for,
//! and its result, if it sent one, is taken out of the mailbox: a late
//! result is never left there.
//!
//! # Links
//!
//! As in Elixir, [`Task::async_`] and [`async_stream`] link the task to its
//! owner: a task that fails takes the owner down, unless the owner traps
//! exits (then the failure is also the error of `await_`, and an EXIT
//! message). A task that delivered its result unlinks itself before it
//! ends, so an owner that traps exits gets no EXIT `normal` from it. [`TaskSupervisor::async_nolink`] starts a task under a
//! supervisor, not linked: its failure is only an error.
//!
//! # Functions, not closures
//!
//! The function runs in another process (another instance), so it cannot
//! borrow or capture anything: it is a `fn(A) -> R` (a closure that
//! captures nothing coerces to one), and everything it needs comes in its
//! argument `A`, as a term.

use crate::links::{ExitReason, Signal};
use crate::spawn_fn::{SPAWN_FN_EXPORT, SpawnFnError};
use crate::supervisor::{DynamicOptions, DynamicSupervisor, DynamicTemplate, StartError, SupervisorError};
use crate::wait::{Waited, is_alive, until_dead, wait_while_alive};
use crate::{Message, Pid, Reason, Restart, Shutdown, SpawnOptions, TimerRef, exit, receive_matching};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term::{self as term, Term};

/// The lowest tag of a task's result (`"WASK"` in the high 32 bits): a
/// process that starts tasks gets their results with tags
/// `TAG_TASK_BASE + n`, `n` counting up from 0; keep that range out of
/// its other messages.
///
/// ```ignore
/// assert_eq!(warren::task::TAG_TASK_BASE >> 32, 0x5741_534B);
/// ```
pub const TAG_TASK_BASE: i64 = 0x5741_534B_0000_0000;

/// `max_concurrency` of [`StreamOptions::new`] (Elixir's default is the
/// number of schedulers, which a guest cannot read).
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// A result's status byte: the result's term follows.
const STATUS_OK: u8 = 0;
/// A result's status byte: the text of the panic that ended the task.
const STATUS_PANIC: u8 = 1;
/// A result's status byte: why the result has no term encoding.
const STATUS_UNENCODABLE: u8 = 2;

/// A fresh tag of this process for task results (or a stream's timeouts).
fn fresh_tag() -> i64 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    TAG_TASK_BASE + i64::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Why a task gave no result.
///
/// ```ignore
/// match task.await_(Some(1_000)) {
///     Ok(value) => { /* ... */ }
///     Err(TaskError::Timeout) => { /* the task was killed */ }
///     Err(TaskError::Exited(reason)) => { /* it panicked: reason is Custom(message) */ }
///     Err(other) => { /* ... */ }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskError {
    /// No result within the timeout (the task was killed then).
    Timeout,
    /// The task failed with this reason: a panic's message (feature
    /// `std`), or a result with no term encoding.
    Exited(ExitReason),
    /// The task ended without a result and without a panic: killed, a
    /// trap (without feature `std`, a panic is one), or a limit. Its
    /// reason went to its links (the owner of a linked task has it as an
    /// EXIT message if it traps exits; otherwise the link ended it).
    Lost,
    /// The result is not an `R`.
    Decode(term::Error),
    /// The task could not be started.
    Spawn(SpawnFnError),
    /// The task supervisor refused the task.
    Supervisor(SupervisorError),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Timeout => f.write_str("the task did not finish in time"),
            TaskError::Exited(reason) => write!(f, "the task failed: {reason:?}"),
            TaskError::Lost => f.write_str("the task ended without a result"),
            TaskError::Decode(error) => write!(f, "the task's result is not of the expected type: {error}"),
            TaskError::Spawn(error) => write!(f, "the task could not start: {error}"),
            TaskError::Supervisor(error) => write!(f, "the task supervisor refused the task: {error}"),
        }
    }
}

impl core::error::Error for TaskError {}

/// The argument of a task's process: its owner (none: nobody waits for
/// the result), the result's tag, its index in a stream, the function's
/// table index, and the function's argument.
type TaskStart<A> = (Option<Pid>, i64, u64, u32, A);

/// Where this task process sends its result and its panic: owner, tag,
/// index (owner 0: nowhere).
static OWNER: AtomicU64 = AtomicU64::new(0);
static TAG: AtomicU64 = AtomicU64::new(0);
static INDEX: AtomicU64 = AtomicU64::new(0);

/// Sends this task's outcome to its owner, if it has one.
fn report(status: u8, bytes: &[u8]) {
    let owner = OWNER.load(Ordering::Relaxed);
    if owner == 0 {
        return;
    }
    let mut payload = Vec::with_capacity(9 + bytes.len());
    payload.extend_from_slice(&INDEX.load(Ordering::Relaxed).to_le_bytes());
    payload.push(status);
    payload.extend_from_slice(bytes);
    let _ = Pid::from_raw(owner).send(TAG.load(Ordering::Relaxed) as i64, &payload);
}

/// The panic hook's notice (see the module's docs).
fn report_panic(message: &str) {
    report(STATUS_PANIC, message.as_bytes());
}

/// The body of every task process (run by the function trampoline).
fn task_main<A: DeserializeOwned, R: Serialize>(start: TaskStart<A>) {
    let (owner, tag, index, function, arg) = start;
    if let Some(owner) = owner {
        OWNER.store(owner.raw(), Ordering::Relaxed);
        TAG.store(tag as u64, Ordering::Relaxed);
        INDEX.store(index, Ordering::Relaxed);
        crate::panic::on_panic(report_panic);
    }
    // SAFETY: `function` was written by `task_arg` next to the header of
    // this very instantiation `task_main::<A, R>`, from a `fn(A) -> R` of
    // this module (fn pointers are table indices on wasm32, and the task
    // runs the same module). Forged bytes could name any index: wasm's
    // `call_indirect` checks index and type and traps the task otherwise
    // (as for `spawn_fn`).
    let function: fn(A) -> R = unsafe { core::mem::transmute::<usize, fn(A) -> R>(function as usize) };
    let result = function(arg);
    match term::to_vec(&result) {
        Ok(bytes) => {
            report(STATUS_OK, &bytes);
            // Done: the owner (if linked) gets no EXIT `normal` from a task
            // that delivered its result (one that traps exits would find
            // it in its mailbox).
            if let Some(owner) = owner {
                let _ = owner.unlink();
            }
        }
        Err(error) => {
            let why = format!("the task's result cannot be encoded as a term: {error}");
            report(STATUS_UNENCODABLE, why.as_bytes());
            exit(Reason::Custom(why.into_bytes()))
        }
    }
}

/// The spawn argument of a task that runs `function(arg)` (the function
/// trampoline's header for `task_main::<A, R>`, then the term).
fn task_arg<A, R>(
    function: fn(A) -> R,
    arg: &A,
    owner: Option<Pid>,
    tag: i64,
    index: u64,
) -> Result<Vec<u8>, SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: Serialize,
{
    let main: fn(TaskStart<A>) = task_main::<A, R>;
    let mut bytes = crate::spawn_fn::header(main).map_err(SpawnFnError::Spawn)?.to_vec();
    let function = u32::try_from(function as usize).map_err(|_| SpawnFnError::Spawn(crate::Error::BadArg))?;
    bytes.extend_from_slice(&term::to_vec(&(owner, tag, index, function, arg)).map_err(SpawnFnError::Encode)?);
    Ok(bytes)
}

/// Starts a task process owned by the caller, linked to it if `link`.
fn spawn_task<A, R>(function: fn(A) -> R, arg: &A, tag: i64, index: u64, link: bool) -> Result<Pid, SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: Serialize,
{
    let bytes = task_arg(function, arg, Some(crate::self_pid()), tag, index)?;
    crate::spawn_opts("", SPAWN_FN_EXPORT, &bytes, &SpawnOptions::new(), link, false)
        .map(|(pid, _)| pid)
        .map_err(SpawnFnError::Spawn)
}

/// The index and outcome in a result message.
fn parse_result<R: DeserializeOwned>(data: &[u8]) -> Option<(u64, Result<R, TaskError>)> {
    let index = u64::from_le_bytes(data.get(..8)?.try_into().ok()?);
    let status = *data.get(8)?;
    let bytes = &data[9..];
    let outcome = match status {
        STATUS_OK => term::from_slice::<R>(bytes).map_err(TaskError::Decode),
        _ => Err(TaskError::Exited(ExitReason::Custom(bytes.to_vec()))),
    };
    Some((index, outcome))
}

/// Takes every message with `tag` out of the mailbox (after the process
/// that sends them is dead, nothing more can come).
fn drain(tag: i64) {
    while receive_matching(&[tag], Some(0)).is_some() {}
}

/// Ends task `pid` for good and leaves nothing of it in the mailbox: no
/// link, no result.
fn kill_quietly(pid: Pid, tag: i64, linked: bool) {
    if linked {
        let _ = pid.unlink();
    }
    let _ = pid.exit(Signal::Kill);
    until_dead(pid);
    drain(tag);
}

/// A running task, whose result is an `R` (Elixir's `%Task{}`). Await it
/// once ([`Task::await_`]), or poll it ([`Task::yield_`]) and shut it down
/// ([`Task::shutdown`]).
///
/// ```ignore
/// fn fetch(url: String) -> Vec<u8> { /* ... */ }
/// let task = Task::async_(fetch, &"https://example.org".to_string())?;
/// let body = task.await_(Some(5_000))?;
/// ```
#[must_use = "a task's result waits in its owner's mailbox until it is awaited"]
pub struct Task<R> {
    pid: Pid,
    tag: i64,
    linked: bool,
    _result: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Task<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("pid", &self.pid).field("tag", &self.tag).field("linked", &self.linked).finish()
    }
}

impl<R: Serialize + DeserializeOwned> Task<R> {
    /// Runs `function(arg)` in a new process linked to the caller (Elixir's
    /// `Task.async`).
    ///
    /// ```ignore
    /// let task = Task::async_(|n: u64| n * 2, &21)?;
    /// assert_eq!(task.await_(None)?, 42);
    /// ```
    pub fn async_<A>(function: fn(A) -> R, arg: &A) -> Result<Task<R>, SpawnFnError>
    where
        A: Serialize + DeserializeOwned,
    {
        let tag = fresh_tag();
        let pid = spawn_task(function, arg, tag, 0, true)?;
        Ok(Task { pid, tag, linked: true, _result: PhantomData })
    }
}

impl<R: DeserializeOwned> Task<R> {
    /// The task's process.
    ///
    /// ```ignore
    /// let pid = task.pid();
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits at most `timeout_ms` (`None`: as long as it takes) for the
    /// result (Elixir's `Task.await`). On a timeout the task is killed and
    /// its result, should it come, never reaches the mailbox (Elixir exits
    /// the caller instead; here the caller decides).
    ///
    /// ```ignore
    /// match task.await_(Some(100)) {
    ///     Err(TaskError::Timeout) => { /* too slow: it is gone */ }
    ///     other => { /* ... */ }
    /// }
    /// ```
    pub fn await_(self, timeout_ms: Option<u64>) -> Result<R, TaskError> {
        match self.wait(timeout_ms) {
            Waited::Got(outcome) => outcome,
            Waited::Dead => Err(TaskError::Lost),
            Waited::TimedOut => {
                kill_quietly(self.pid, self.tag, self.linked);
                Err(TaskError::Timeout)
            }
        }
    }

    /// Waits at most `timeout_ms` for the result, and leaves the task
    /// running if it does not come (Elixir's `Task.yield`): `None` then,
    /// and the task can be yielded again or shut down. Once this returned
    /// `Some`, the task is over.
    ///
    /// ```ignore
    /// let outcome = match task.yield_(Some(50)) {
    ///     Some(outcome) => Some(outcome),
    ///     None => task.shutdown(Shutdown::BrutalKill),
    /// };
    /// ```
    pub fn yield_(&self, timeout_ms: Option<u64>) -> Option<Result<R, TaskError>> {
        match self.wait(Some(timeout_ms.unwrap_or(u64::MAX))) {
            Waited::Got(outcome) => Some(outcome),
            Waited::Dead => Some(Err(TaskError::Lost)),
            Waited::TimedOut => None,
        }
    }

    /// Stops the task (Elixir's `Task.shutdown`): unlinks it, then
    /// [`Shutdown::BrutalKill`] kills it at once; [`Shutdown::Timeout`]
    /// sends exit signal `shutdown` and kills it if it has not exited in
    /// time; [`Shutdown::Infinity`] waits as long as it takes. Returns the
    /// outcome if the task had finished (or failed) before it stopped,
    /// `None` otherwise; nothing of the task is left in the mailbox.
    ///
    /// ```ignore
    /// if let Some(Ok(value)) = task.shutdown(Shutdown::Timeout(100)) { /* it had finished */ }
    /// ```
    pub fn shutdown(self, how: Shutdown) -> Option<Result<R, TaskError>> {
        if self.linked {
            let _ = self.pid.unlink();
        }
        let mut outcome = self.take_result();
        if outcome.is_none() {
            match how {
                Shutdown::BrutalKill => {
                    let _ = self.pid.exit(Signal::Kill);
                }
                Shutdown::Timeout(ms) => {
                    let _ = self.pid.exit(Signal::Shutdown(Vec::new()));
                    if !crate::wait::dead_within(self.pid, u64::from(ms)) {
                        let _ = self.pid.exit(Signal::Kill);
                    }
                }
                Shutdown::Infinity => {
                    let _ = self.pid.exit(Signal::Shutdown(Vec::new()));
                }
            }
        }
        until_dead(self.pid);
        if outcome.is_none() {
            outcome = self.take_result();
        }
        drain(self.tag);
        outcome
    }

    /// The result if it is in the mailbox now.
    fn take_result(&self) -> Option<Result<R, TaskError>> {
        let msg = receive_matching(&[self.tag], Some(0))?;
        parse_result(&msg.data).map(|(_, outcome)| outcome)
    }

    /// Waits for this task's result message.
    fn wait(&self, timeout_ms: Option<u64>) -> Waited<Result<R, TaskError>> {
        let pid = self.pid;
        wait_while_alive(&[self.tag], pid, timeout_ms, |msg: Message| {
            if msg.sender != pid {
                return None;
            }
            parse_result(&msg.data).map(|(_, outcome)| outcome)
        })
    }
}

/// Awaits every task, at most `timeout_ms` in all (Elixir's
/// `Task.await_many`): their results in the order of `tasks`. The first
/// failure or the timeout ends the wait, and the tasks not yet awaited
/// are killed (nothing of them is left in the mailbox).
///
/// ```ignore
/// let tasks = vec![Task::async_(square, &2)?, Task::async_(square, &3)?];
/// assert_eq!(task::await_many(tasks, Some(1_000))?, [4, 9]);
/// ```
pub fn await_many<R: DeserializeOwned>(tasks: Vec<Task<R>>, timeout_ms: Option<u64>) -> Result<Vec<R>, TaskError> {
    // The deadline is a timer to self with a tag of its own, so the time
    // spent is right however the results come.
    let deadline_tag = fresh_tag();
    let timer = match timeout_ms {
        Some(ms) => Some(crate::send_after(crate::self_pid(), deadline_tag, &[], ms).map_err(|e| {
            for task in &tasks {
                kill_quietly(task.pid, task.tag, task.linked);
            }
            TaskError::Spawn(SpawnFnError::Spawn(e))
        })?),
        None => None,
    };
    let mut results = Vec::with_capacity(tasks.len());
    let mut failure = None;
    let mut timed_out = false;
    let mut tasks = tasks.into_iter();
    for task in tasks.by_ref() {
        let pid = task.pid;
        let waited = wait_while_alive(&[task.tag, deadline_tag], pid, None, |msg: Message| {
            if msg.tag == deadline_tag {
                return Some(None);
            }
            if msg.sender != pid {
                return None;
            }
            parse_result::<R>(&msg.data).map(|(_, outcome)| Some(outcome))
        });
        match waited {
            Waited::Got(Some(Ok(value))) => results.push(value),
            Waited::Got(Some(Err(error))) => {
                failure = Some(error);
                break;
            }
            Waited::Got(None) => {
                timed_out = true;
                kill_quietly(task.pid, task.tag, task.linked);
                break;
            }
            Waited::Dead | Waited::TimedOut => {
                failure = Some(TaskError::Lost);
                break;
            }
        }
    }
    for task in tasks {
        kill_quietly(task.pid, task.tag, task.linked);
    }
    if let Some(timer) = timer
        && !timed_out
        && crate::cancel_timer(timer).is_none()
    {
        // It fired: its message is on its way (a timer to a live
        // process always sends).
        let _ = receive_matching(&[deadline_tag], None);
    }
    match (failure, timed_out) {
        (Some(error), _) => Err(error),
        (None, true) => Err(TaskError::Timeout),
        (None, false) => Ok(results),
    }
}

/// What a stream does with a task that runs past its timeout.
///
/// ```ignore
/// let options = StreamOptions::new().timeout(Some(100)).on_timeout(OnTimeout::KillTask);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnTimeout {
    /// End the stream: its last item is `Err(TaskError::Timeout)`, and the
    /// other tasks are killed (Elixir exits the caller instead).
    #[default]
    Exit,
    /// Kill that task; its item is `Err(TaskError::Timeout)` and the
    /// stream goes on (Elixir's `{:exit, :timeout}`).
    KillTask,
}

/// Options of [`async_stream`] (Elixir's `Task.async_stream` options).
///
/// ```ignore
/// let options = StreamOptions::new().max_concurrency(16).ordered(false).timeout(None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamOptions {
    max_concurrency: usize,
    ordered: bool,
    timeout_ms: Option<u64>,
    on_timeout: OnTimeout,
}

impl StreamOptions {
    /// [`DEFAULT_MAX_CONCURRENCY`] tasks at a time, results in the items'
    /// order, 5 s per task, a timeout ends the stream (Elixir's defaults).
    ///
    /// ```ignore
    /// let options = StreamOptions::new();
    /// ```
    pub fn new() -> StreamOptions {
        StreamOptions {
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            ordered: true,
            timeout_ms: Some(5_000),
            on_timeout: OnTimeout::Exit,
        }
    }

    /// At most `max` tasks run at a time (at least 1).
    ///
    /// ```ignore
    /// let options = StreamOptions::new().max_concurrency(4);
    /// ```
    pub fn max_concurrency(mut self, max: usize) -> StreamOptions {
        self.max_concurrency = max.max(1);
        self
    }

    /// `true`: results in the items' order (a slow item holds back the
    /// results after it, not the tasks); `false`: as they come.
    ///
    /// ```ignore
    /// let options = StreamOptions::new().ordered(false);
    /// ```
    pub fn ordered(mut self, ordered: bool) -> StreamOptions {
        self.ordered = ordered;
        self
    }

    /// How long each task may run, from its start (`None`: no limit).
    ///
    /// ```ignore
    /// let options = StreamOptions::new().timeout(Some(1_000));
    /// ```
    pub fn timeout(mut self, timeout_ms: Option<u64>) -> StreamOptions {
        self.timeout_ms = timeout_ms;
        self
    }

    /// What a timeout does.
    ///
    /// ```ignore
    /// let options = StreamOptions::new().on_timeout(OnTimeout::KillTask);
    /// ```
    pub fn on_timeout(mut self, on_timeout: OnTimeout) -> StreamOptions {
        self.on_timeout = on_timeout;
        self
    }
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions::new()
    }
}

/// A task of a stream, running.
struct InFlight {
    pid: Pid,
    timer: Option<TimerRef>,
}

/// Runs `function` on every item, each in a task linked to the caller, at
/// most `max_concurrency` at a time (Elixir's `Task.async_stream`): an
/// iterator of outcomes, lazy (tasks start as it is iterated; dropping it
/// kills the tasks still running and leaves nothing in the mailbox).
///
/// ```ignore
/// fn work(n: u32) -> u32 { n + 1 }
/// let options = StreamOptions::new().max_concurrency(4).timeout(Some(1_000));
/// for outcome in task::async_stream(vec![1, 2, 3], work, &options) {
///     let value = outcome?;
/// }
/// ```
pub fn async_stream<I, A, R>(items: I, function: fn(A) -> R, options: &StreamOptions) -> AsyncStream<I::IntoIter, A, R>
where
    I: IntoIterator<Item = A>,
    A: Serialize + DeserializeOwned,
    R: Serialize + DeserializeOwned,
{
    AsyncStream {
        items: items.into_iter(),
        function,
        options: *options,
        tag: fresh_tag(),
        timeout_tag: fresh_tag(),
        next_index: 0,
        next_out: 0,
        in_flight: BTreeMap::new(),
        done: BTreeMap::new(),
        ready: VecDeque::new(),
        stale_timers: 0,
        stopped: false,
    }
}

/// The iterator of [`async_stream`].
///
/// ```ignore
/// let stream: AsyncStream<_, u32, u32> = task::async_stream(0..10, work, &StreamOptions::new());
/// let total: u32 = stream.map(|outcome| outcome.unwrap_or(0)).sum();
/// ```
pub struct AsyncStream<I, A, R> {
    items: I,
    function: fn(A) -> R,
    options: StreamOptions,
    /// The tag of the tasks' results, and of their timeouts' messages.
    tag: i64,
    timeout_tag: i64,
    /// The index of the next task; of the next outcome out (ordered).
    next_index: u64,
    next_out: u64,
    in_flight: BTreeMap<u64, InFlight>,
    /// Outcomes not yet out: by index (ordered), as they came (not).
    done: BTreeMap<u64, Result<R, TaskError>>,
    ready: VecDeque<Result<R, TaskError>>,
    /// Timeout messages that fired after their task had finished and not
    /// yet taken.
    stale_timers: usize,
    /// No task starts any more (the items ran out, or a timeout ended it).
    stopped: bool,
}

impl<I, A, R> fmt::Debug for AsyncStream<I, A, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncStream")
            .field("options", &self.options)
            .field("started", &self.next_index)
            .field("running", &self.in_flight.len())
            .finish()
    }
}

impl<I, A, R> AsyncStream<I, A, R>
where
    I: Iterator<Item = A>,
    A: Serialize + DeserializeOwned,
    R: Serialize + DeserializeOwned,
{
    /// Records an outcome.
    fn finish(&mut self, index: u64, outcome: Result<R, TaskError>) {
        if self.options.ordered {
            self.done.insert(index, outcome);
        } else {
            self.ready.push_back(outcome);
        }
    }

    /// The next outcome ready to go out.
    fn take_ready(&mut self) -> Option<Result<R, TaskError>> {
        if self.options.ordered {
            let outcome = self.done.remove(&self.next_out)?;
            self.next_out += 1;
            Some(outcome)
        } else {
            self.ready.pop_front()
        }
    }

    /// Starts tasks up to `max_concurrency`.
    fn fill(&mut self) {
        while !self.stopped && self.in_flight.len() < self.options.max_concurrency {
            let Some(item) = self.items.next() else {
                self.stopped = true;
                return;
            };
            let index = self.next_index;
            self.next_index += 1;
            match spawn_task(self.function, &item, self.tag, index, true) {
                Ok(pid) => {
                    let timer = self.options.timeout_ms.and_then(|ms| {
                        crate::send_after(crate::self_pid(), self.timeout_tag, &index.to_le_bytes(), ms).ok()
                    });
                    self.in_flight.insert(index, InFlight { pid, timer });
                }
                Err(error) => self.finish(index, Err(TaskError::Spawn(error))),
            }
        }
    }

    /// A task's result came.
    fn on_result(&mut self, msg: &Message) {
        let Some((index, outcome)) = parse_result::<R>(&msg.data) else { return };
        // A killed task's late result: dropped.
        let Some(task) = self.in_flight.remove(&index) else { return };
        if let Some(timer) = task.timer
            && crate::cancel_timer(timer).is_none()
        {
            self.stale_timers += 1;
        }
        self.finish(index, outcome);
    }

    /// A task's timeout fired.
    fn on_timeout(&mut self, msg: &Message) {
        let Some(index) = msg.data.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes) else { return };
        let Some(task) = self.in_flight.remove(&index) else {
            self.stale_timers = self.stale_timers.saturating_sub(1);
            return;
        };
        kill_quietly_keeping(task.pid);
        match self.options.on_timeout {
            OnTimeout::KillTask => self.finish(index, Err(TaskError::Timeout)),
            OnTimeout::Exit => {
                self.stop_all();
                self.ready.clear();
                self.done.clear();
                self.options.ordered = false;
                self.ready.push_back(Err(TaskError::Timeout));
            }
        }
    }

    /// Tasks that died without a result.
    fn check_alive(&mut self) {
        let dead: Vec<u64> =
            self.in_flight.iter().filter(|(_, task)| !is_alive(task.pid)).map(|(index, _)| *index).collect();
        if dead.is_empty() {
            return;
        }
        // A result sent just before its task died is in the mailbox now.
        while let Some(msg) = receive_matching(&[self.tag], Some(0)) {
            self.on_result(&msg);
        }
        for index in dead {
            if let Some(task) = self.in_flight.remove(&index) {
                if let Some(timer) = task.timer
                    && crate::cancel_timer(timer).is_none()
                {
                    self.stale_timers += 1;
                }
                self.finish(index, Err(TaskError::Lost));
            }
        }
    }

    /// Kills every running task and starts no more.
    fn stop_all(&mut self) {
        self.stopped = true;
        let running = core::mem::take(&mut self.in_flight);
        for task in running.values() {
            let _ = task.pid.unlink();
            let _ = task.pid.exit(Signal::Kill);
        }
        for task in running.values() {
            until_dead(task.pid);
            if let Some(timer) = task.timer
                && crate::cancel_timer(timer).is_none()
            {
                self.stale_timers += 1;
            }
        }
        drain(self.tag);
    }
}

/// Kills a stream's task (its late result is dropped by index, and
/// drained when the stream ends).
fn kill_quietly_keeping(pid: Pid) {
    let _ = pid.unlink();
    let _ = pid.exit(Signal::Kill);
    until_dead(pid);
}

impl<I, A, R> Iterator for AsyncStream<I, A, R>
where
    I: Iterator<Item = A>,
    A: Serialize + DeserializeOwned,
    R: Serialize + DeserializeOwned,
{
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut slice = 2u64;
        loop {
            if let Some(outcome) = self.take_ready() {
                return Some(outcome);
            }
            self.fill();
            if let Some(outcome) = self.take_ready() {
                return Some(outcome);
            }
            if self.in_flight.is_empty() {
                return None;
            }
            match receive_matching(&[self.tag, self.timeout_tag], Some(slice)) {
                Some(msg) if msg.tag == self.tag => self.on_result(&msg),
                Some(msg) => self.on_timeout(&msg),
                None => {
                    self.check_alive();
                    slice = (slice * 2).min(crate::wait::MAX_SLICE_MS);
                }
            }
        }
    }
}

impl<I, A, R> Drop for AsyncStream<I, A, R> {
    fn drop(&mut self) {
        self.stopped = true;
        let running = core::mem::take(&mut self.in_flight);
        for task in running.values() {
            let _ = task.pid.unlink();
            let _ = task.pid.exit(Signal::Kill);
        }
        for task in running.values() {
            until_dead(task.pid);
            if let Some(timer) = task.timer
                && crate::cancel_timer(timer).is_none()
            {
                self.stale_timers += 1;
            }
        }
        drain(self.tag);
        // A timer that fired is on its way (a timer to a live process
        // always sends): take each.
        while self.stale_timers > 0 {
            if receive_matching(&[self.timeout_tag], None).is_some() {
                self.stale_timers -= 1;
            }
        }
        drain(self.timeout_tag);
    }
}

/// The entry of a task supervisor's children: the task's whole spawn
/// argument comes as a binary (each task runs its own function).
fn supervised_task(task: Term) {
    match task {
        Term::Binary(bytes) => crate::spawn_fn::run_spawn_arg(&bytes),
        other => {
            exit(Reason::Custom(format!("task supervisor: a child's argument is not a task: {other}").into_bytes()))
        }
    }
}

/// A task supervisor (Elixir's `Task.Supervisor`): a dynamic supervisor
/// of temporary task processes, each running its own function.
///
/// ```ignore
/// let tasks = TaskSupervisor::start_link("app", &DynamicOptions::new().name("tasks"))?;
/// tasks.start_child(send_email, &email)?;          // fire and forget
/// let task = tasks.async_nolink(fetch, &url)?;     // not linked: a failure is only an error
/// match task.yield_(Some(1_000)) { /* ... */ }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSupervisor {
    sup: DynamicSupervisor<Term>,
}

impl TaskSupervisor {
    /// Starts a task supervisor linked to the caller, for tasks of this
    /// module loaded as `module`: children temporary (never restarted),
    /// stopped with `shutdown` and 5 s, as Elixir's.
    ///
    /// ```ignore
    /// let tasks = TaskSupervisor::start_link("app", &DynamicOptions::new().max_children(100))?;
    /// ```
    pub fn start_link(module: &str, options: &DynamicOptions) -> Result<TaskSupervisor, StartError> {
        let template = DynamicTemplate::function(module, supervised_task)
            .map_err(StartError::Refused)?
            .with(|spec| spec.restart(Restart::Temporary).shutdown(Shutdown::Timeout(5_000)));
        DynamicSupervisor::start_link(&template, options).map(|sup| TaskSupervisor { sup })
    }

    /// The task supervisor with this pid.
    ///
    /// ```ignore
    /// let tasks = TaskSupervisor::from_pid(pid);
    /// ```
    pub fn from_pid(pid: Pid) -> TaskSupervisor {
        TaskSupervisor { sup: DynamicSupervisor::from_pid(pid) }
    }

    /// The task supervisor registered as `name`, if any.
    ///
    /// ```ignore
    /// let tasks = TaskSupervisor::whereis("tasks").expect("started");
    /// ```
    pub fn whereis(name: &str) -> Option<TaskSupervisor> {
        crate::whereis(name).map(TaskSupervisor::from_pid)
    }

    /// Its pid.
    ///
    /// ```ignore
    /// let pid = tasks.pid();
    /// ```
    pub fn pid(&self) -> Pid {
        self.sup.pid()
    }

    /// Starts `function(arg)` under the supervisor, owned by nobody (its
    /// result is dropped): Elixir's `Task.Supervisor.start_child`.
    ///
    /// ```ignore
    /// let pid = tasks.start_child(send_email, &email)?;
    /// ```
    pub fn start_child<A, R>(&self, function: fn(A) -> R, arg: &A) -> Result<Pid, TaskError>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize,
    {
        let bytes = task_arg(function, arg, None, 0, 0).map_err(TaskError::Spawn)?;
        self.sup.start_child(&Term::Binary(bytes)).map_err(TaskError::Supervisor)
    }

    /// Starts `function(arg)` under the supervisor, owned by the caller but
    /// not linked to it (Elixir's `Task.Supervisor.async_nolink`): await
    /// or yield it as any task; its failure is only an error.
    ///
    /// ```ignore
    /// let task = tasks.async_nolink(fetch, &url)?;
    /// let body = task.await_(Some(5_000))?;
    /// ```
    pub fn async_nolink<A, R>(&self, function: fn(A) -> R, arg: &A) -> Result<Task<R>, TaskError>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        let tag = fresh_tag();
        let bytes = task_arg(function, arg, Some(crate::self_pid()), tag, 0).map_err(TaskError::Spawn)?;
        let pid = self.sup.start_child(&Term::Binary(bytes)).map_err(TaskError::Supervisor)?;
        Ok(Task { pid, tag, linked: false, _result: PhantomData })
    }

    /// The running tasks' pids.
    ///
    /// ```ignore
    /// let running = tasks.children()?.len();
    /// ```
    pub fn children(&self) -> Result<Vec<Pid>, SupervisorError> {
        Ok(self.sup.which_children()?.into_iter().filter_map(|child| child.pid).collect())
    }

    /// Stops task `pid` (shutdown, then kill after 5 s).
    ///
    /// ```ignore
    /// tasks.terminate_child(pid)?;
    /// ```
    pub fn terminate_child(&self, pid: Pid) -> Result<(), SupervisorError> {
        self.sup.terminate_child(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn results_carry_index_status_and_bytes() {
        let mut ok = 7u64.to_le_bytes().to_vec();
        ok.push(STATUS_OK);
        ok.extend_from_slice(&term::to_vec(&42u32).unwrap());
        assert_eq!(parse_result::<u32>(&ok), Some((7, Ok(42))));
        let mut panic = 1u64.to_le_bytes().to_vec();
        panic.push(STATUS_PANIC);
        panic.extend_from_slice(b"boom");
        assert_eq!(
            parse_result::<u32>(&panic),
            Some((1, Err(TaskError::Exited(ExitReason::Custom(b"boom".to_vec())))))
        );
        assert!(matches!(parse_result::<String>(&ok), Some((7, Err(TaskError::Decode(_))))));
        assert_eq!(parse_result::<u32>(&[1, 2]), None);
    }

    #[test]
    fn tags_are_fresh_and_in_the_task_range() {
        let (a, b) = (fresh_tag(), fresh_tag());
        assert_ne!(a, b);
        assert_eq!(a >> 32, 0x5741_534B);
    }

    #[test]
    fn stream_options_keep_at_least_one_task() {
        assert_eq!(StreamOptions::new().max_concurrency(0).max_concurrency, 1);
        assert!(StreamOptions::default().ordered);
    }
}
