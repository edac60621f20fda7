//! `example-fanout`: fan-out with `Task.async_stream`. Every number of
//! 1..=30 goes to a task of its own, at most 4 at a time, which counts the
//! steps of its Collatz sequence; the results come back in order.
//!
//! Run it with `warren run example_fanout.wasm`; a test gives it its
//! reporter's pid as a term and gets each line as a message (tag 1).

use warren::Pid;
use warren::task::{self, StreamOptions};

/// The number of Collatz steps from `n` to 1 (runs in its own process).
fn collatz_steps(n: u64) -> u32 {
    let (mut n, mut steps) = (n, 0);
    while n > 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

#[warren::main]
fn main() -> Result<(), String> {
    let reporter = warren::term::from_slice::<Pid>(&warren::arg()).ok();
    let options = StreamOptions::new().max_concurrency(4).timeout(Some(5_000));
    let steps: Vec<u32> =
        task::async_stream(1..=30u64, collatz_steps, &options).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let (longest, most) =
        steps.iter().enumerate().max_by_key(|(_, s)| **s).map(|(i, s)| (i + 1, *s)).ok_or("no results")?;
    let lines = [format!("steps: {steps:?}"), format!("longest: {longest} takes {most} steps")];
    for line in lines {
        match reporter {
            Some(reporter) => reporter.send(1, line.as_bytes()).map_err(|e| e.to_string())?,
            None => warren::println!("{line}"),
        }
    }
    Ok(())
}
