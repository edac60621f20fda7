//! Releasing the stack pages of idle handler-style processes, and the
//! pages of their linear memory that hold only their module's constant data.
//!
//! A handler-style process between messages has no call in flight, so the
//! fiber stack its store keeps holds nothing; its pages can go back to the
//! kernel (they fault back in, zeroed, when the next call starts). So can
//! the whole pages of the dead part of its shadow stack, in linear memory,
//! when its module exports LLVM's stack pointer (see `wasm/hibernate.rs`):
//! a Rust guest's runs its calls there. So can, in a module whose fresh
//! instance the host knows (`pristine`, see `recycle.rs`), the pages that
//! hold exactly what the data segments put there: a Rust guest's constant
//! data is tens of KiB, mostly pages a process never writes, and was most
//! of an idle Rust GenServer's resident bytes. Those pages are not zero: the
//! process keeps their list and they are written again, from the module's
//! image, before its next call (or its hibernation) reads them. They go
//! only when the thread has no work (see [`Release`]). Each
//! scheduler thread lists the processes that went idle on it and releases
//! their stacks once they have stayed idle a while:
//!
//! - when the thread has had no work for [`TRIM_INTERVAL`] (a pause between
//!   two messages would otherwise cost each of them its stack, faulted back
//!   in at the next message); a process whose patience has grown (see
//!   [`StackTrim`]) stays listed, and the thread passes again every
//!   [`TRIM_INTERVAL`] while it is out of work; after as many passes as the
//!   most patience it releases every listed stack (a process busy on
//!   another thread may stay on this list);
//! - while it is busy, in passes at least [`TRIM_INTERVAL`] apart, once a
//!   process has stayed idle through as many passes as its patience.
//!
//! The scheduler knows none of this: its runner calls [`thread_idle`] and
//! [`thread_busy`] as the thread runs out of work and finds some again.

use super::state::{Module, ProcessState};
use super::task::{IdleHandler, Task};
use super::{Body, Process};
use crate::mem::region;
use crate::wasm::hibernate;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// Idle handler-style processes a thread lists before it releases the
/// stacks of those that stayed idle.
const TRIM_BATCH: usize = 256;
/// The least time between two trim passes of a thread, so a process must
/// stay idle at least this long to lose its stack while the thread is busy.
/// Without it a pass ran every [`TRIM_BATCH`] listings: in a ring of more
/// than that many handler-style processes each went idle for less than a
/// round and lost its stack, and every hop then paid for the release and
/// the page faults that brought the stack back.
pub(crate) const TRIM_INTERVAL: Duration = Duration::from_millis(10);

/// One scheduler thread's trim state.
struct ThreadTrim {
    /// Handler-style processes gone idle whose stack pages may be released
    /// (each listed once: see [`StackTrim`]).
    idle_handlers: Vec<Arc<Process>>,
    /// The list's length at which the next trim pass may run.
    trim_at: usize,
    /// When the last trim pass ran (see [`TRIM_INTERVAL`]).
    last_trim: Instant,
    /// Since when the thread has found no work (`None`: it has work), or
    /// since its last trim pass while it had none.
    idle_since: Option<Instant>,
    /// Trim passes made since the thread last had work.
    idle_passes: u32,
    /// Processes whose stacks a pass released while the thread was busy:
    /// their constant pages go only once the thread has no work (see
    /// [`Release`]), if they are still idle then.
    image_pending: Vec<Arc<Process>>,
    /// The length of `image_pending` at which it drops the processes that
    /// exited or ran again (see [`IMAGE_PENDING_COMPACT`]).
    compact_at: usize,
}

/// The length at which a thread's [`ThreadTrim::image_pending`] first drops
/// the processes that exited or ran again since they were put there; then
/// at twice what it kept. A process is on it once at most (see
/// [`StackTrim::enter_image_pending`]), so it holds no more than twice the
/// processes waiting, however long the thread stays busy. (It used to stop
/// taking processes at this length: a thread that started more idle
/// servers than this before it ran out of work left the rest with their
/// constant pages, 35 KiB an idle Rust GenServer at 200,000, against 8 KiB
/// at 50,000.)
const IMAGE_PENDING_COMPACT: usize = 1 << 16;

/// What a trim pass gives back of the idle processes it holds.
///
/// A thread that has work releases stacks only: the pages a stack needs
/// again fault back in zeroed, one or two of them, but the constant pages
/// of a Rust guest are ten or so, each written again from the module's
/// image, and a process waiting while its thread is busy is often about to
/// get a message (skynet's inner nodes, waiting for their children, were
/// measurably slower when their constant pages went too: see
/// `benches/otp.rs`). A thread with no work releases both, and the
/// constant pages of the processes whose stacks went while it was busy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Release {
    Stack,
    StackAndImage,
    Image,
}

thread_local! {
    /// `None` on threads that are not scheduler threads of a dense-layout
    /// node (nothing to trim there).
    static THREAD: RefCell<Option<ThreadTrim>> = const { RefCell::new(None) };
}

/// This thread lists idle handler-style processes from now on (a scheduler
/// thread, as it starts).
pub(crate) fn enable_on_this_thread() {
    let trim = ThreadTrim {
        idle_handlers: Vec::new(),
        trim_at: TRIM_BATCH,
        last_trim: Instant::now(),
        idle_since: None,
        idle_passes: 0,
        image_pending: Vec::new(),
        compact_at: IMAGE_PENDING_COMPACT,
    };
    THREAD.with(|thread| *thread.borrow_mut() = Some(trim));
}

/// Drops this thread's list (a scheduler thread, as it stops).
pub(crate) fn disable_on_this_thread() {
    let trim = THREAD.with(|thread| thread.borrow_mut().take());
    drop(trim);
}

/// A handler-style process went idle on this thread: lists it if it is not
/// listed yet; when the list is long enough and the last pass is
/// [`TRIM_INTERVAL`] old, releases the stacks of those that stayed idle
/// since they were listed. The others (they handled a message since) get a
/// second chance: their next message would only fault their stack pages
/// back in.
pub(crate) fn went_idle(process: Arc<Process>) {
    if !process.stack_trim.went_idle() {
        return;
    }
    let stayed_idle = THREAD.with(|thread| {
        let mut thread = thread.borrow_mut();
        let Some(thread) = thread.as_mut() else {
            // Not a scheduler thread: no list to be on.
            process.stack_trim.unlist();
            return None;
        };
        thread.idle_handlers.push(process);
        if thread.idle_handlers.len() < thread.trim_at {
            return None;
        }
        // The clock is read once a batch, not at every listing.
        let now = Instant::now();
        if now.duration_since(thread.last_trim) < TRIM_INTERVAL {
            thread.trim_at = thread.idle_handlers.len() + TRIM_BATCH;
            return None;
        }
        Some(thread.trim_pass(now))
    });
    if let Some(stayed_idle) = stayed_idle {
        let released = trim(stayed_idle, Release::Stack);
        THREAD.with(|thread| {
            let mut thread = thread.borrow_mut();
            let Some(thread) = thread.as_mut() else { return };
            let pending = &mut thread.image_pending;
            pending.extend(released.into_iter().filter(|process| process.stack_trim.enter_image_pending()));
            if pending.len() >= thread.compact_at {
                pending.retain(|process| {
                    let waiting = process.stack_trim.is_released() && !process.run_state.is_done();
                    if !waiting {
                        process.stack_trim.leave_image_pending();
                    }
                    waiting
                });
                thread.compact_at = (pending.len() * 2).max(IMAGE_PENDING_COMPACT);
            }
        });
    }
}

/// The thread found no work: runs a trim pass if one is due, and says how
/// long the thread may park before the next is (`None`: until woken).
pub(crate) fn thread_idle() -> Option<Duration> {
    let (due, all, pending) = THREAD.with(|thread| {
        let mut thread = thread.borrow_mut();
        let thread = thread.as_mut()?;
        if thread.idle_handlers.is_empty() && thread.image_pending.is_empty() {
            return None;
        }
        let now = Instant::now();
        let idle_for = now.duration_since(*thread.idle_since.get_or_insert(now));
        if let Some(left) = TRIM_INTERVAL.checked_sub(idle_for).filter(|left| !left.is_zero()) {
            return Some((Err(left), false, Vec::new()));
        }
        let pending = std::mem::take(&mut thread.image_pending);
        thread.compact_at = IMAGE_PENDING_COMPACT;
        if thread.idle_passes >= u32::from(StackTrim::MAX_PATIENCE) {
            thread.trim_at = TRIM_BATCH;
            return Some((Ok(std::mem::take(&mut thread.idle_handlers)), true, pending));
        }
        thread.idle_since = Some(now);
        thread.idle_passes += 1;
        Some((Ok(thread.trim_pass(now)), false, pending))
    })?;
    match due {
        Err(left) => Some(left),
        Ok(listed) => {
            if all {
                for process in &listed {
                    process.stack_trim.unlist();
                }
            }
            trim(listed, Release::StackAndImage);
            // Those used since their stack went are listed again, or busy.
            let still_released = pending
                .into_iter()
                .filter(|process| {
                    process.stack_trim.leave_image_pending();
                    process.stack_trim.is_released()
                })
                .collect();
            trim(still_released, Release::Image);
            let left = THREAD.with(|thread| thread.borrow().as_ref().is_some_and(|t| !t.idle_handlers.is_empty()));
            (left && !all).then_some(TRIM_INTERVAL)
        }
    }
}

/// The thread found work again after it had none.
pub(crate) fn thread_busy() {
    THREAD.with(|thread| {
        if let Some(thread) = thread.borrow_mut().as_mut() {
            thread.idle_since = None;
            thread.idle_passes = 0;
        }
    });
}

impl ThreadTrim {
    /// A trim pass: takes off the list the processes that have stayed idle
    /// through as many passes as their patience (their stacks may go); the
    /// others stay listed.
    fn trim_pass(&mut self, now: Instant) -> Vec<Arc<Process>> {
        self.last_trim = now;
        let (stayed_idle, busy): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.idle_handlers).into_iter().partition(|process| process.stack_trim.take_for_trim());
        // The next busy pass after as many new listings as a batch.
        self.trim_at = busy.len() + TRIM_BATCH;
        self.idle_handlers = busy;
        stayed_idle
    }
}

impl Process {
    /// Holds the process `RUNNING` (no call can start) until
    /// [`Process::end_trim`], unless it is busy (`None`). Held, it answers
    /// with its fiber stack's base and size if it is an idle handler-style
    /// process: between messages it has no call in flight, so its (cached)
    /// stack holds nothing.
    fn begin_trim(&self, release: Release) -> Option<Releasable> {
        let (Body::Wasm(task), Some(size)) = (&self.body, self.runtime.dense_stack_size) else { return None };
        if self.stack_base.load(Ordering::Relaxed) == 0 || !self.run_state.borrow_idle() {
            return None;
        }
        // Read again now that the process is held: it may have exited.
        let base = self.stack_base.load(Ordering::Relaxed);
        // SAFETY: we hold the process `RUNNING` until `end_trim`.
        let Task::Idle(idle) = (unsafe { task.get() }) else { return Some(Releasable::default()) };
        if base == 0 {
            return Some(Releasable::default());
        }
        if release == Release::Image {
            return Some(Releasable { stack: None, shadow_stack: None, image: release_image_pages(idle) });
        }
        let shadow_stack = dead_shadow_stack(&mut idle.store);
        let image = if release == Release::StackAndImage { release_image_pages(idle) } else { Vec::new() };
        Some(Releasable { stack: Some((base, size)), shadow_stack, image })
    }

    /// Lets a process [`Process::begin_trim`] held run again.
    fn end_trim(self: &Arc<Self>) {
        if self.run_state.finish_poll() {
            // A message came meanwhile: its sender saw the process running
            // and left the enqueueing to us.
            self.runtime.scheduler.schedule_preempted(self.clone());
        }
    }
}

/// What of an idle handler-style process holds nothing (see
/// [`Process::begin_trim`]): its fiber stack, and the whole pages of the
/// dead part of its shadow stack in linear memory, as `(base, len)`.
#[derive(Default)]
struct Releasable {
    stack: Option<(usize, usize)>,
    shadow_stack: Option<(usize, usize)>,
    /// Runs of pages of its memory that hold only the module's image, now
    /// listed in the process's `released_image` (see the module docs).
    image: Vec<(usize, usize)>,
}

/// The whole pages of the dead part of the shadow stack (LLVM's, below
/// `__stack_pointer`: see `wasm/hibernate.rs`) of an idle handler-style
/// process's instance: between calls nothing lives there, as on its fiber
/// stack, and a Rust guest's may span many pages of its memory.
fn dead_shadow_stack(store: &mut wasmtime::Store<ProcessState>) -> Option<(usize, usize)> {
    let (module, instance, memory) = planned_memory(store)?;
    let plan = module.hibernation.as_ref().as_ref().ok()?;
    let dead = plan.dead_stack(store, &instance);
    let (base, size) = (memory.data_ptr(&*store) as usize, memory.data_size(&*store));
    let page = region::page_size();
    let start = base + dead.start.min(size).next_multiple_of(page);
    let end = base + dead.end.min(size) / page * page;
    (start < end).then_some((start, end - start))
}

/// The module of `store`'s process, its instance and the memory the
/// module's hibernation plan names: `None` for a module that cannot
/// hibernate (its plan says which memory the host may reason about).
fn planned_memory(
    store: &mut wasmtime::Store<ProcessState>,
) -> Option<(Arc<Module>, wasmtime::Instance, wasmtime::Memory)> {
    let (module, instance) = (store.data().module.clone(), store.data().instance?);
    let plan = module.hibernation.as_ref().as_ref().ok()?;
    let memory = plan.memory(store, &instance).ok()??;
    Some((module, instance, memory))
}

/// Lists in `idle.released_image` the pages of its memory that hold
/// exactly what a fresh instance's do, where that is not zero (constant
/// data: `hibernate::unchanged_image_pages`), and returns them as runs of
/// `(base, len)`. None for a module without a pristine image.
fn release_image_pages(idle: &mut IdleHandler) -> Vec<(usize, usize)> {
    if !idle.released_image.is_empty() {
        // Released at an earlier pass and not used since.
        return Vec::new();
    }
    let Some((module, _, memory)) = planned_memory(&mut idle.store) else { return Vec::new() };
    let Some(pristine) = module.pristine.get() else { return Vec::new() };
    let data = memory.data(&idle.store);
    let page = region::page_size();
    let pages = hibernate::unchanged_image_pages(data, page, pristine);
    let base = data.as_ptr() as usize;
    let mut ranges: Vec<(usize, usize)> = pages.iter().map(|&index| (base + index as usize * page, page)).collect();
    idle.released_image = pages.into_boxed_slice();
    adjacent_runs(&mut ranges)
}

/// Writes back the pages of `store`'s memory that a trim pass gave back to
/// the kernel (`released`, from [`release_image_pages`]), before its
/// process runs or hibernates: they read as zero until then.
pub(crate) fn rewrite_released_image(store: &mut wasmtime::Store<ProcessState>, released: &[u32]) {
    if released.is_empty() {
        return;
    }
    // Found as when the pages were released: the same store and instance.
    let Some((module, _, memory)) = planned_memory(store) else { return };
    if let Some(pristine) = module.pristine.get() {
        hibernate::rewrite_image_pages(memory.data_mut(&mut *store), released, region::page_size(), pristine);
    }
}

/// Most processes held at once by [`trim`]: messages to them wait
/// until their chunk's stacks are released.
const TRIM_CHUNK: usize = 1024;

/// Releases what `release` says (stack pages, constant pages or both) of
/// those `processes` that are idle handler-style processes (see
/// [`Process::begin_trim`]); returns, for [`Release::Stack`], those whose
/// stacks went (the others get an empty list). In one batch of
/// ranges per chunk (`region::decommit_all`: one TLB flush, not one per
/// range), a run of adjacent stacks as one range: a run that covers a
/// whole 2 MiB-aligned block lets Linux (6.14 and later, `CONFIG_PT_RECLAIM`)
/// free that block's page table, which it does only when one
/// `MADV_DONTNEED` range spans it.
fn trim(mut processes: Vec<Arc<Process>>, release: Release) -> Vec<Arc<Process>> {
    // Sorted by stack first, so that each chunk holds neighbours.
    processes.sort_unstable_by_key(|process| process.stack_base.load(Ordering::Relaxed));
    let mut held = Vec::with_capacity(processes.len().min(TRIM_CHUNK));
    let mut stacks = Vec::with_capacity(processes.len().min(TRIM_CHUNK));
    let mut shadow_stacks = Vec::with_capacity(processes.len().min(TRIM_CHUNK));
    // Only a busy pass's are wanted (see `went_idle`).
    let mut released = Vec::new();
    for chunk in processes.chunks(TRIM_CHUNK) {
        for process in chunk {
            let Some(releasable) = process.begin_trim(release) else { continue };
            stacks.extend(releasable.stack);
            shadow_stacks.extend(releasable.shadow_stack);
            shadow_stacks.extend(releasable.image);
            held.push(process);
        }
        let mut ranges = adjacent_runs(&mut stacks);
        ranges.append(&mut shadow_stacks);
        // SAFETY: every stack in a run belongs to a held idle handler: no
        // fiber runs or is suspended on it, and none can start. Every
        // shadow stack range is whole pages of the linear memory of a held
        // idle handler, below its stack pointer: no call can read them
        // before the next one writes them (LLVM's ABI), and a page given
        // back reads as zero, as a fresh instance's stack does. Every image
        // range is whole pages of such a memory that the process lists in
        // its `released_image`: they are written again before its next
        // call or its hibernation reads them (`rewrite_released_image`),
        // and a reset of its store rewrites every non-resident page the
        // image covers (`recycle.rs`).
        unsafe { region::decommit_all(&ranges) };
        stacks.clear();
        for process in held.drain(..) {
            process.stack_trim.mark_released();
            process.end_trim();
            if release == Release::Stack {
                released.push(process.clone());
            }
        }
    }
    released
}

/// Sorts `(base, len)` ranges and joins those that touch end to start.
fn adjacent_runs(ranges: &mut [(usize, usize)]) -> Vec<(usize, usize)> {
    ranges.sort_unstable_by_key(|&(base, _)| base);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &(base, len) in ranges.iter() {
        match runs.last_mut() {
            Some((run_base, run_len)) if *run_base + *run_len == base => *run_len += len,
            _ => runs.push((base, len)),
        }
    }
    runs
}

/// Whether an idle handler-style process is on a thread's trim list,
/// whether it handled a message since it was listed, and how many passes it
/// must stay idle before its stack goes. A process is listed once, however
/// many messages it handles: listing it at every message cost a system call
/// per message (releasing a stack that had just been released).
///
/// The patience adapts, as Linux's page reclaim does with pages that fault
/// back soon after eviction: a process starts at one pass, and each time
/// its stack was released and then needed again for a message, its patience
/// doubles (up to [`StackTrim::MAX_PATIENCE`] passes). Without it, a
/// process woken a little less often than a pass lost its stack at every
/// message, and paying for that slowed everything enough that other
/// processes were idle longer too: a ring of 10,000 handler-style processes
/// settled at a page fault every hop (now it has none once its processes
/// have started, and each hop is much faster).
#[derive(Default)]
pub(crate) struct StackTrim {
    /// [`StackTrim::UNLISTED`], [`StackTrim::LISTED`] or
    /// [`StackTrim::LISTED_AND_USED`], with [`StackTrim::RELEASED`] while
    /// its stack is released and it has handled no message since.
    state: AtomicU8,
    /// Passes it has stayed idle through on its list (only the listing
    /// thread reads or writes it).
    idle_passes: AtomicU8,
    /// Passes it must stay idle through before its stack goes, less one
    /// (0: one pass).
    extra_patience: AtomicU8,
    /// Whether it is on a thread's list of processes whose constant pages
    /// go once the thread has no work (set by a swap: a process on one
    /// thread's list is not put on another's, nor twice on one).
    image_pending: AtomicBool,
}

impl StackTrim {
    const UNLISTED: u8 = 0;
    const LISTED: u8 = 1;
    const LISTED_AND_USED: u8 = 2;
    /// A flag on top of the list state: released, not used since.
    const RELEASED: u8 = 4;
    /// The most passes a process must stay idle before its stack goes.
    const MAX_PATIENCE: u8 = 64;

    /// The process went idle: whether to list it (it is not listed yet).
    /// (A compare-and-swap: the thread whose list holds the process may
    /// unlist it meanwhile, and a process marked used but on no list would
    /// never be listed again.)
    pub(crate) fn went_idle(&self) -> bool {
        let mut current = self.state.load(Ordering::Relaxed);
        if current == Self::LISTED_AND_USED {
            // The common case, a busy handler: nothing to write.
            return false;
        }
        loop {
            let (next, list) = match current & !Self::RELEASED {
                Self::UNLISTED => (Self::LISTED, true),
                _ => (Self::LISTED_AND_USED, false),
            };
            match self.state.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    if current & Self::RELEASED != 0 {
                        // Its released stack was needed again.
                        self.grow_patience();
                    }
                    if list {
                        self.idle_passes.store(0, Ordering::Relaxed);
                    }
                    return list;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Doubles the passes the process must stay idle, up to the most.
    fn grow_patience(&self) {
        let patience = self.patience();
        let doubled = patience.saturating_mul(2).min(Self::MAX_PATIENCE);
        self.extra_patience.store(doubled - 1, Ordering::Relaxed);
    }

    /// Passes the process must stay idle through before its stack goes.
    fn patience(&self) -> u8 {
        self.extra_patience.load(Ordering::Relaxed).saturating_add(1)
    }

    /// At a trim pass: whether the process has now stayed idle through as
    /// many passes as its patience (it is then unlisted, and its stack may
    /// be released); if not, it stays listed, as not used since.
    fn take_for_trim(&self) -> bool {
        let used = self.state.swap(Self::LISTED, Ordering::Relaxed) != Self::LISTED;
        let idle_passes = match used {
            true => 0,
            false => self.idle_passes.load(Ordering::Relaxed).saturating_add(1),
        };
        if idle_passes < self.patience() {
            self.idle_passes.store(idle_passes, Ordering::Relaxed);
            return false;
        }
        // Unless a message made it used meanwhile (it then stays listed).
        self.state.compare_exchange(Self::LISTED, Self::UNLISTED, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// Records that the process's stack was released: if it handles a
    /// message again, its patience grows.
    pub(crate) fn mark_released(&self) {
        self.state.fetch_or(Self::RELEASED, Ordering::Relaxed);
    }

    /// Whether the process's stack was released and it has handled no
    /// message since.
    fn is_released(&self) -> bool {
        self.state.load(Ordering::Relaxed) & Self::RELEASED != 0
    }

    /// Puts the process on a thread's list of those whose constant pages go
    /// once it has no work: whether it was on none (it is now).
    fn enter_image_pending(&self) -> bool {
        !self.image_pending.swap(true, Ordering::Relaxed)
    }

    /// Takes the process off that list.
    fn leave_image_pending(&self) {
        self.image_pending.store(false, Ordering::Relaxed);
    }

    /// Takes the process off the list whatever its use.
    fn unlist(&self) {
        self.state.store(Self::UNLISTED, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{StackTrim, adjacent_runs};

    #[test]
    fn adjacent_stacks_join_into_one_run_and_gaps_split_runs() {
        // Out of order, as a trim list holds them; 0x4000 is missing.
        let mut stacks = [(0x5000, 0x1000), (0x1000, 0x1000), (0x3000, 0x1000), (0x2000, 0x1000), (0x6000, 0x2000)];
        assert_eq!(adjacent_runs(&mut stacks), vec![(0x1000, 0x3000), (0x5000, 0x3000)]);
        assert_eq!(adjacent_runs(&mut []), vec![]);
        assert_eq!(adjacent_runs(&mut [(0x8000, 0x1000)]), vec![(0x8000, 0x1000)]);
    }

    #[test]
    fn a_process_waits_for_its_constant_pages_on_one_list_at_most() {
        let trim = StackTrim::default();
        assert!(trim.enter_image_pending(), "the first list takes it");
        assert!(!trim.enter_image_pending(), "no second entry while it is on a list");
        trim.leave_image_pending();
        assert!(trim.enter_image_pending(), "taken again once off the list");
    }

    #[test]
    fn an_idle_handler_is_listed_once_however_many_messages_it_handles() {
        let trim = StackTrim::default();
        assert!(trim.went_idle(), "first idle: listed");
        assert!(!trim.went_idle(), "already listed");
        assert!(!trim.went_idle(), "already listed");
    }

    #[test]
    fn a_listed_handler_that_handled_a_message_since_gets_a_second_chance() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        // Idle since listed: its stack goes.
        assert!(trim.take_for_trim());
        assert!(trim.went_idle(), "unlisted at the pass: listed again");
        assert!(!trim.went_idle(), "a message since it was listed");
        assert!(!trim.take_for_trim(), "used since listed: kept for the next pass");
        assert!(trim.take_for_trim(), "idle through a whole pass");
    }

    /// Passes `trim` stays listed through, idle, before its stack goes.
    fn passes_until_released(trim: &StackTrim) -> u32 {
        assert!(trim.went_idle(), "listed");
        let mut passes = 1;
        while !trim.take_for_trim() {
            passes += 1;
            assert!(passes <= 1000, "never released");
        }
        trim.mark_released();
        passes
    }

    #[test]
    fn a_handler_whose_released_stack_was_needed_again_waits_twice_as_many_passes() {
        let trim = StackTrim::default();
        assert_eq!(passes_until_released(&trim), 1, "a new process waits one pass");
        // Its next message found the stack released: patience doubles, and
        // again each time, up to the most.
        let mut expected = vec![2, 4, 8, 16, 32, 64];
        expected.extend([u32::from(StackTrim::MAX_PATIENCE); 3]);
        let waited: Vec<u32> = expected.iter().map(|_| passes_until_released(&trim)).collect();
        assert_eq!(waited, expected);
    }

    #[test]
    fn a_message_during_the_wait_starts_the_count_again() {
        let trim = StackTrim::default();
        assert_eq!(passes_until_released(&trim), 1);
        assert!(trim.went_idle(), "listed again; patience now 2");
        assert!(!trim.take_for_trim(), "one idle pass of two");
        assert!(!trim.went_idle(), "a message: used");
        assert!(!trim.take_for_trim(), "used since the last pass");
        assert!(!trim.take_for_trim(), "one idle pass of two");
        assert!(trim.take_for_trim(), "two idle passes");
    }

    #[test]
    fn a_stack_released_without_a_message_after_keeps_the_patience() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        assert!(trim.take_for_trim());
        // Released by the pass but not marked (its trim was skipped, say):
        // the next message does not count as a stack needed again.
        assert!(trim.went_idle());
        assert!(trim.take_for_trim(), "still one pass");
    }

    #[test]
    fn unlisting_makes_the_next_idle_list_it_again() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        assert!(!trim.went_idle());
        trim.unlist();
        assert!(trim.went_idle());
    }
}
