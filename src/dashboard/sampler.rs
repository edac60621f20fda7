//! The node's load over the last minutes: a thread of its own samples the
//! node's counters once a second (only while a dashboard runs), keeps the
//! last [`KEPT`] points in a ring, and pushes each new one to the pages'
//! event streams.

use crate::control::commands::Rates;
use crate::control::protocol::{MemoryRow, StatsSample};
use crate::control::respond::stats;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;
use warren_host::Node;

/// How often the node is sampled.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Points kept: ten minutes.
pub const KEPT: usize = 600;
/// Points a slow event stream may fall behind before it skips some.
const BACKLOG: usize = 16;

/// One point of the charts: the counters at a moment, and the rates since
/// the point before.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub uptime_secs: f64,
    pub processes: usize,
    pub by_status: Vec<(String, usize)>,
    pub memory: MemoryRow,
    pub reductions: u64,
    pub messages: u64,
    pub supervisor_restarts: u64,
    pub reductions_per_sec: f64,
    pub messages_per_sec: f64,
    /// Per scheduler thread, the share of the last interval it was busy.
    pub scheduler_utilization: Vec<f64>,
    pub total_utilization: f64,
    pub run_queues: Vec<usize>,
    pub global_queue: usize,
    pub tables: usize,
    pub timers: usize,
}

impl Point {
    fn between(before: &StatsSample, now: StatsSample) -> Point {
        let rates = Rates::between(before, &now);
        let at_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        Point {
            at_ms,
            uptime_secs: now.uptime_nanos as f64 / 1e9,
            processes: now.processes,
            by_status: now.by_status,
            memory: now.memory,
            reductions: now.reductions,
            messages: now.messages,
            supervisor_restarts: now.supervisor_restarts,
            reductions_per_sec: rates.reductions_per_sec,
            messages_per_sec: rates.messages_per_sec,
            scheduler_utilization: rates.scheduler_utilization,
            total_utilization: rates.total_utilization,
            run_queues: now.run_queues,
            global_queue: now.global_queue,
            tables: now.tables,
            timers: now.timers,
        }
    }
}

/// The points so far and the channel new ones go out on.
pub struct Samples {
    ring: Mutex<VecDeque<Arc<Point>>>,
    updates: broadcast::Sender<Arc<Point>>,
}

impl Samples {
    /// The points kept, oldest first.
    pub fn history(&self) -> Vec<Arc<Point>> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// The newest point, if a second has passed since the start.
    pub fn latest(&self) -> Option<Arc<Point>> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner).back().cloned()
    }

    /// A receiver of the points to come.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Point>> {
        self.updates.subscribe()
    }

    fn push(&self, point: Point) {
        let point = Arc::new(point);
        {
            let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            if ring.len() == KEPT {
                ring.pop_front();
            }
            ring.push_back(point.clone());
        }
        // No receiver: no page is open; the ring still has it.
        let _ = self.updates.send(point);
    }
}

/// The sampling thread; dropping this stops it (within an interval).
pub struct Sampler {
    samples: Arc<Samples>,
    _stop: mpsc::Sender<()>,
}

impl Sampler {
    /// Starts sampling `node`.
    pub fn start(node: Arc<Node>) -> Result<Sampler> {
        let samples = Arc::new(Samples {
            ring: Mutex::new(VecDeque::with_capacity(KEPT)),
            updates: broadcast::channel(BACKLOG).0,
        });
        let (stop, stopped) = mpsc::channel();
        let sampling = samples.clone();
        std::thread::Builder::new()
            .name("warren-sampler".into())
            .spawn(move || run(&node, &sampling, &stopped))
            .context("cannot start the dashboard's sampler thread")?;
        Ok(Sampler { samples, _stop: stop })
    }

    /// Its points.
    pub fn samples(&self) -> Arc<Samples> {
        self.samples.clone()
    }
}

/// Samples every [`INTERVAL`] until the sender of `stopped` is dropped.
fn run(node: &Node, samples: &Samples, stopped: &mpsc::Receiver<()>) {
    let mut before = stats(node);
    let mut next = Instant::now() + INTERVAL;
    loop {
        match stopped.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = stats(node);
        samples.push(Point::between(&before, now.clone()));
        before = now;
        // On a fixed beat; a sample that took longer than an interval (a
        // huge node) starts the next one at once rather than piling up.
        next = (next + INTERVAL).max(Instant::now());
    }
}
