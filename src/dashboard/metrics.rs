//! `GET /metrics`: the node's counters in Prometheus's text exposition
//! format, version 0.0.4: one `# HELP` and one `# TYPE` line per metric,
//! then its samples. Counters are cumulative since the node started (a
//! scraper takes their rates); scheduler utilization is the sampler's
//! last interval.

use super::sampler::Point;
use crate::control::protocol::StatsSample;
use std::fmt::Write;

/// The content type of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The exposition of `sample`, with the utilization of `latest` (none
/// before the sampler's first interval).
pub fn render(sample: &StatsSample, latest: Option<&Point>) -> String {
    let mut out = Exposition(String::new());
    out.family("warren_processes", "gauge", "Live processes (host inboxes included).");
    out.sample("warren_processes", &[], sample.processes as f64);
    out.family("warren_processes_by_status", "gauge", "Live processes by status.");
    for (status, count) in &sample.by_status {
        out.sample("warren_processes_by_status", &[("status", status)], *count as f64);
    }
    out.family(
        "warren_memory_bytes",
        "gauge",
        "Memory by kind, in bytes (host: all the node holds outside linear memories).",
    );
    let memory = &sample.memory;
    for (kind, bytes) in [
        ("linear_memories", memory.linear_memories),
        ("stacks", memory.stacks),
        ("mailboxes", memory.mailboxes),
        ("tables", memory.tables),
        ("host", memory.host),
    ] {
        out.sample("warren_memory_bytes", &[("kind", kind)], bytes as f64);
    }
    out.family("warren_reductions_total", "counter", "Reductions (fuel) used by every process since the node started.");
    out.sample("warren_reductions_total", &[], sample.reductions as f64);
    out.family("warren_messages_total", "counter", "Messages queued in mailboxes since the node started.");
    out.sample("warren_messages_total", &[], sample.messages as f64);
    out.family(
        "warren_supervisor_restarts_total",
        "counter",
        "Children the host's supervisors restarted since the node started.",
    );
    out.sample("warren_supervisor_restarts_total", &[], sample.supervisor_restarts as f64);
    out.family("warren_run_queue_length", "gauge", "Jobs waiting in each scheduler thread's run queue.");
    for (scheduler, queued) in sample.run_queues.iter().enumerate() {
        out.sample("warren_run_queue_length", &[("scheduler", &scheduler.to_string())], *queued as f64);
    }
    out.family("warren_global_queue_length", "gauge", "Jobs waiting in the global queue.");
    out.sample("warren_global_queue_length", &[], sample.global_queue as f64);
    out.family(
        "warren_scheduler_parked_seconds_total",
        "counter",
        "Seconds each scheduler thread spent parked (idle) since it started.",
    );
    for (scheduler, nanos) in sample.parked_nanos.iter().enumerate() {
        out.sample(
            "warren_scheduler_parked_seconds_total",
            &[("scheduler", &scheduler.to_string())],
            *nanos as f64 / 1e9,
        );
    }
    out.family(
        "warren_scheduler_utilization",
        "gauge",
        "Share of the last second each scheduler thread was busy (0 to 1).",
    );
    for (scheduler, busy) in
        latest.map(|point| point.scheduler_utilization.as_slice()).unwrap_or_default().iter().enumerate()
    {
        out.sample("warren_scheduler_utilization", &[("scheduler", &scheduler.to_string())], *busy);
    }
    out.family("warren_tables", "gauge", "Shared tables.");
    out.sample("warren_tables", &[], sample.tables as f64);
    out.family("warren_timers", "gauge", "Pending timers.");
    out.sample("warren_timers", &[], sample.timers as f64);
    out.family("warren_uptime_seconds", "gauge", "Seconds since the node started.");
    out.sample("warren_uptime_seconds", &[], sample.uptime_nanos as f64 / 1e9);
    out.0
}

/// The text being written.
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        // Help text escapes `\` and newlines; ours has neither, but stays
        // correct if it ever does.
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let _ = write!(self.0, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.0, " {}", number(value));
    }
}

/// A label value, escaped as the format asks.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A value as Go's ParseFloat reads it (`NaN`, `+Inf`, `-Inf` by name).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{value}")
    }
}
