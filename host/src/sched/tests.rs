//! The scheduler on its own, with plain jobs: what runs, in which order,
//! and that nothing queued is left behind by parked threads.

use super::{Job, Runner, Scheduler};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A job: its number, and what it does when it runs.
struct Task {
    id: usize,
    action: Action,
}

enum Action {
    /// Just records its run.
    Record,
    /// Wakes (into the next slot) the tasks listed, then records its run.
    Wake(Vec<Arc<Task>>),
    /// Spawns a job like itself while the count lasts (records nothing).
    Fork(Arc<AtomicUsize>),
    /// Records its run and puts itself back this many more times.
    Requeue(AtomicUsize),
    /// Records its run, then queues the tasks listed on this thread (as a
    /// process spawns), in order.
    Seed(Vec<Arc<Task>>),
    /// Puts itself back at every run until `stop` is set (it then records
    /// its run), counting in `after` its runs while work waits in the
    /// injector.
    Spin { stop: Arc<AtomicBool>, after: AtomicUsize },
    /// Records its run and sets the flag.
    Stop(Arc<AtomicBool>),
    /// Wakes the tasks of `woken` (into the next slot) and queues those of
    /// `queued` (as a process spawns), then holds its thread until the gate
    /// opens (as a long host call would), then records its run.
    Hold { woken: Vec<Arc<Task>>, queued: Vec<Arc<Task>>, gate: Arc<Gate> },
    /// Records its run and opens the gate.
    Open(Arc<Gate>),
}

/// A gate a task waits at, opened by another task.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    /// Waits until the gate is open; false if it stayed shut for 20 s.
    fn pass(&self) -> bool {
        let open = self.open.lock().unwrap();
        let (open, _) = self.opened.wait_timeout_while(open, Duration::from_secs(20), |open| !*open).unwrap();
        *open
    }
}

impl Job for Arc<Task> {
    fn prefetch(&self) {}

    fn key(&self) -> usize {
        Arc::as_ptr(self) as usize
    }

    fn into_raw(self) -> *mut () {
        Arc::into_raw(self).cast_mut().cast()
    }

    unsafe fn from_raw(raw: *mut ()) -> Self {
        // SAFETY: made by `into_raw` above, turned back once.
        unsafe { Arc::from_raw(raw.cast_const().cast()) }
    }
}

#[derive(Default)]
struct Log {
    runs: Mutex<Vec<usize>>,
    changed: Condvar,
}

impl Log {
    fn record(&self, id: usize) {
        self.runs.lock().unwrap().push(id);
        self.changed.notify_all();
    }

    /// Waits until `count` runs are recorded (or fails after a while).
    fn wait_for(&self, count: usize) -> Vec<usize> {
        let runs = self.runs.lock().unwrap();
        let (runs, timeout) =
            self.changed.wait_timeout_while(runs, Duration::from_secs(20), |runs| runs.len() < count).unwrap();
        assert!(!timeout.timed_out(), "only {} of {count} runs happened: {runs:?}", runs.len());
        runs.clone()
    }
}

struct TestRunner {
    scheduler: Scheduler<Arc<Task>>,
    log: Log,
    threads_started: AtomicUsize,
    idles: AtomicUsize,
}

impl Runner<Arc<Task>> for TestRunner {
    fn scheduler(&self) -> &Scheduler<Arc<Task>> {
        &self.scheduler
    }

    fn run(&self, job: Arc<Task>) {
        match &job.action {
            Action::Record => self.log.record(job.id),
            Action::Wake(woken) => {
                for task in woken {
                    self.scheduler.schedule_woken(task.clone());
                }
                self.log.record(job.id);
            }
            Action::Seed(tasks) => {
                self.log.record(job.id);
                for task in tasks {
                    self.scheduler.schedule_back(task.clone());
                }
            }
            Action::Spin { stop, after } => {
                if stop.load(Ordering::SeqCst) {
                    self.log.record(job.id);
                    return;
                }
                if !self.scheduler.injector.is_empty() {
                    after.fetch_add(1, Ordering::SeqCst);
                }
                self.scheduler.schedule_preempted(job.clone());
            }
            Action::Stop(flag) => {
                flag.store(true, Ordering::SeqCst);
                self.log.record(job.id);
            }
            Action::Hold { woken, queued, gate } => {
                for task in woken {
                    self.scheduler.schedule_woken(task.clone());
                }
                for task in queued {
                    self.scheduler.schedule_back(task.clone());
                }
                let opened = gate.pass();
                self.log.record(if opened { job.id } else { usize::MAX });
            }
            Action::Open(gate) => {
                self.log.record(job.id);
                gate.open();
            }
            Action::Fork(left) => {
                if left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                    self.scheduler.schedule_back(task(job.id, Action::Fork(left.clone())));
                }
            }
            Action::Requeue(left) => {
                self.log.record(job.id);
                let more = left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok();
                if more {
                    self.scheduler.schedule_preempted(job.clone());
                }
            }
        }
    }

    fn thread(&self, work: &mut dyn FnMut()) {
        self.threads_started.fetch_add(1, Ordering::Relaxed);
        work();
    }

    fn idle(&self) -> Option<Duration> {
        self.idles.fetch_add(1, Ordering::Relaxed);
        None
    }

    fn busy(&self) {}
}

fn runner(threads: usize) -> Arc<TestRunner> {
    Arc::new(TestRunner {
        scheduler: Scheduler::new(threads),
        log: Log::default(),
        threads_started: AtomicUsize::new(0),
        idles: AtomicUsize::new(0),
    })
}

fn task(id: usize, action: Action) -> Arc<Task> {
    Arc::new(Task { id, action })
}

#[test]
fn every_job_scheduled_from_outside_runs_once_on_two_threads() {
    let runner = runner(2);
    runner.scheduler.start(&runner).unwrap();
    for id in 0..1000 {
        runner.scheduler.schedule_back(task(id, Action::Record));
    }
    let mut runs = runner.log.wait_for(1000);
    runner.scheduler.shutdown();
    runs.sort_unstable();
    assert_eq!(runs, (0..1000).collect::<Vec<_>>());
    assert_eq!(runner.threads_started.load(Ordering::Relaxed), 2);
}

#[test]
fn jobs_from_outside_run_in_order_on_one_thread() {
    let runner = runner(1);
    for id in 0..10 {
        runner.scheduler.schedule_back(task(id, Action::Record));
    }
    runner.scheduler.start(&runner).unwrap();
    let runs = runner.log.wait_for(10);
    runner.scheduler.shutdown();
    assert_eq!(runs, (0..10).collect::<Vec<_>>());
}

/// Runs `tasks` queued on the scheduler's one thread, in order, by a seed
/// task (id 0) that runs first; returns the ids in the order they ran.
fn run_seeded(tasks: Vec<Arc<Task>>, runs: usize) -> Vec<usize> {
    let runner = runner(1);
    runner.scheduler.schedule_back(task(0, Action::Seed(tasks)));
    runner.scheduler.start(&runner).unwrap();
    let runs = runner.log.wait_for(runs);
    runner.scheduler.shutdown();
    runs
}

#[test]
fn a_job_woken_by_a_running_job_runs_next_before_older_queued_work() {
    // 1 wakes 2; 3 was queued before 2 was woken, yet 2 runs first. (Jobs
    // spawned on a thread run newest first: 1, spawned last, runs first.)
    let woken = task(2, Action::Record);
    let runs = run_seeded(vec![task(3, Action::Record), task(1, Action::Wake(vec![woken]))], 4);
    assert_eq!(runs, [0, 1, 2, 3]);
}

#[test]
fn jobs_spawned_on_a_thread_run_newest_first() {
    let runs = run_seeded((1..=5).map(|id| task(id, Action::Record)).collect(), 6);
    assert_eq!(runs, [0, 5, 4, 3, 2, 1]);
}

#[test]
fn a_stream_of_spawns_does_not_starve_an_older_spawned_job() {
    // The fork spawns another fork at every run, each newer than 1, for far
    // longer than OLDEST_AFTER: 1 still runs while they go on.
    let left = Arc::new(AtomicUsize::new(usize::MAX));
    let runner = runner(1);
    let seed = task(0, Action::Seed(vec![task(1, Action::Record), task(7, Action::Fork(left.clone()))]));
    runner.scheduler.schedule_back(seed);
    runner.scheduler.start(&runner).unwrap();
    assert_eq!(runner.log.wait_for(2), [0, 1]);
    assert!(left.load(Ordering::Relaxed) > 0, "the forks were still going");
    left.store(0, Ordering::Relaxed);
    runner.scheduler.shutdown();
}

#[test]
fn a_job_that_keeps_requeueing_itself_does_not_starve_the_queue() {
    let runs = run_seeded(vec![task(2, Action::Record), task(1, Action::Requeue(AtomicUsize::new(50)))], 53);
    let other = runs.iter().position(|&id| id == 2).unwrap();
    assert_eq!(other, 2, "the other job runs right after the first slice of the busy one: {runs:?}");
}

#[test]
fn woken_jobs_take_turns_with_the_queue_after_a_streak() {
    // A chain of wakes: each task wakes the next into the next slot. After
    // a few back-to-back runs the queued job gets its turn.
    let mut chain = task(109, Action::Record);
    for id in (100..109).rev() {
        chain = task(id, Action::Wake(vec![chain]));
    }
    let runs = run_seeded(vec![task(1, Action::Record), chain], 12);
    let queued = runs.iter().position(|&id| id == 1).unwrap();
    let streak = super::policy::MAX_NEXT_STREAK as usize;
    assert_eq!(queued, 2 + streak, "the queued job runs after the chain's first job and a streak: {runs:?}");
}

#[test]
fn jobs_queued_from_outside_wait_at_most_an_injector_interval_behind_local_work() {
    // Work from outside (the injector) is looked at first every
    // INJECTOR_INTERVAL runs, however busy the thread's own queue is.
    let stop = Arc::new(AtomicBool::new(false));
    let spinner = task(1, Action::Spin { stop: stop.clone(), after: AtomicUsize::new(0) });
    let runner = runner(1);
    runner.scheduler.schedule_back(task(0, Action::Seed(vec![spinner.clone()])));
    runner.scheduler.start(&runner).unwrap();
    runner.log.wait_for(1);
    runner.scheduler.schedule_back(task(2, Action::Stop(stop)));
    runner.log.wait_for(3);
    runner.scheduler.shutdown();
    let Action::Spin { after, .. } = &spinner.action else { unreachable!() };
    let waited = after.load(Ordering::SeqCst);
    assert!(waited <= super::policy::INJECTOR_INTERVAL as usize, "waited {waited} runs");
}

#[test]
fn a_parked_thread_wakes_for_work_scheduled_later_and_idles_again() {
    let runner = runner(2);
    runner.scheduler.start(&runner).unwrap();
    for round in 0..20 {
        // Let both threads run out of work and park.
        std::thread::sleep(Duration::from_millis(2));
        runner.scheduler.schedule_back(task(round, Action::Record));
        runner.log.wait_for(round + 1);
    }
    runner.scheduler.shutdown();
    assert!(runner.idles.load(Ordering::Relaxed) >= 20, "the threads reported their idle times");
}

#[test]
fn shutdown_returns_and_leaves_queued_jobs_to_drain() {
    let runner = runner(2);
    runner.scheduler.shutdown();
    runner.scheduler.schedule_back(task(1, Action::Record));
    let drained = runner.scheduler.drain();
    assert_eq!(drained.iter().map(|task| task.id).collect::<Vec<_>>(), [1]);
}

/// A job holds its thread (as a long host call would) after it woke a job
/// into the thread's next slot and queued others: the other thread, parked,
/// is woken for them and runs them while the job still holds its thread
/// (the woken job opens the gate the holder waits at).
fn held_thread_gives_up(woken: bool) {
    let gate = Arc::new(Gate::default());
    let (next, queued) = if woken {
        (vec![task(1, Action::Open(gate.clone()))], vec![task(2, Action::Record)])
    } else {
        (vec![], vec![task(2, Action::Record), task(1, Action::Open(gate.clone()))])
    };
    let runner = runner(2);
    runner.scheduler.start(&runner).unwrap();
    // Let both threads run out of work and park.
    std::thread::sleep(Duration::from_millis(5));
    runner.scheduler.schedule_back(task(0, Action::Hold { woken: next, queued, gate }));
    let mut runs = runner.log.wait_for(3);
    runner.scheduler.shutdown();
    let position = |id| runs.iter().position(|&run| run == id);
    assert!(position(1) < position(0), "the gate opened while the holder held its thread: {runs:?}");
    runs.sort_unstable();
    assert_eq!(runs, [0, 1, 2]);
}

#[test]
fn the_next_slot_of_a_held_thread_is_run_by_another_thread() {
    held_thread_gives_up(true);
}

#[test]
fn the_queue_of_a_held_thread_is_run_by_another_thread() {
    held_thread_gives_up(false);
}

#[test]
fn one_thread_has_no_watch_thread_and_jobs_still_run_in_order() {
    let runner = runner(1);
    runner.scheduler.start(&runner).unwrap();
    for id in 0..10 {
        runner.scheduler.schedule_back(task(id, Action::Record));
    }
    assert_eq!(runner.log.wait_for(10), (0..10).collect::<Vec<_>>());
    assert_eq!(runner.scheduler.threads.lock().unwrap().len(), 1, "no watch thread beside the one thread");
    runner.scheduler.shutdown();
}
