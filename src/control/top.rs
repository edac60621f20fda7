//! `warren top`: the node's processes, refreshed, ordered by a column or
//! by a rate over the refresh window (reductions or messages received per
//! second), as
//! observer_cli and `:recon.proc_window/3` do, with the node's totals above.
//! On a terminal it redraws in place and quits on `q`; otherwise (or with
//! `--iterations`) it prints one table per refresh and ends.

use super::client::{ANSWER_TIMEOUT, Client};
use super::commands::{PS_HEADERS, PS_RIGHT, Rates, Target, bytes, process_rows, sample, table};
use super::protocol::{ProcessRow, Request, Response, StatsSample};
use anyhow::{Result, bail};
use crossterm::event::{self, Event, KeyCode, KeyEvent};
use crossterm::{cursor, execute, terminal};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// What `top` orders by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TopOrder {
    /// Reductions used per second over the refresh window.
    ReductionsRate,
    /// Messages received per second over the refresh window.
    MessagesRate,
    /// Reductions used in total.
    Reductions,
    /// Linear plus host memory.
    Memory,
    /// Messages queued.
    Mailbox,
}

/// `warren top`.
#[derive(clap::Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub target: Target,
    /// The order (keys while it runs: r, i, R, m, b).
    #[arg(long, value_enum, default_value_t = TopOrder::ReductionsRate)]
    pub sort: TopOrder,
    /// Processes shown.
    #[arg(short = 'n', value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Time between refreshes (e.g. 1s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = super::commands::parse_duration)]
    pub interval: Duration,
    /// Stop after N refreshes (for scripts and tests).
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
}

/// Restores the terminal when `top` ends, however it ends.
struct Screen;

impl Screen {
    fn enter() -> Result<Screen> {
        terminal::enable_raw_mode()?;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(Screen)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

/// Runs `top` against `client`'s node.
pub fn run(mut client: Client, args: &TopArgs) -> Result<()> {
    let live = std::io::stdout().is_terminal() && args.iterations.is_none() && !args.target.json;
    let _screen = if live { Some(Screen::enter()?) } else { None };
    let mut order = args.sort;
    let mut previous: Option<(StatsSample, HashMap<String, Counts>)> = None;
    let mut frame = 0u64;
    loop {
        let stats = sample(&mut client)?;
        let processes = match client.ask(Request::Ps { sort: None, limit: None }, ANSWER_TIMEOUT)? {
            Response::Processes { processes, .. } => processes,
            _ => bail!("unexpected answer to ps"),
        };
        let counts: HashMap<String, Counts> =
            processes.iter().map(|p| (p.pid.clone(), (p.reductions, p.messages_received))).collect();
        let text = render(&client, &stats, &processes, previous.as_ref(), order, args.limit, args.target.json)?;
        if live {
            let mut stdout = std::io::stdout();
            execute!(stdout, cursor::MoveTo(0, 0), terminal::Clear(terminal::ClearType::All))?;
            // Raw mode: lines need a carriage return.
            let _ = write!(stdout, "{}", text.replace('\n', "\r\n"));
            let _ = stdout.flush();
        } else {
            let _ = writeln!(std::io::stdout(), "{text}\n");
        }
        previous = Some((stats, counts));
        frame += 1;
        if args.iterations.is_some_and(|n| frame >= n) {
            return Ok(());
        }
        if live {
            if event::poll(args.interval)?
                && let Event::Key(KeyEvent { code, .. }) = event::read()?
            {
                match code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                    KeyCode::Char('r') => order = TopOrder::ReductionsRate,
                    KeyCode::Char('i') => order = TopOrder::MessagesRate,
                    KeyCode::Char('R') => order = TopOrder::Reductions,
                    KeyCode::Char('m') => order = TopOrder::Memory,
                    KeyCode::Char('b') => order = TopOrder::Mailbox,
                    _ => {}
                }
            }
        } else {
            std::thread::sleep(args.interval);
        }
    }
}

/// A process's reductions and messages received, as of a refresh.
type Counts = (u64, u64);

/// A process's rates over the refresh window: reductions and messages
/// received per second.
#[derive(Clone, Copy)]
struct ProcessRates {
    reductions: f64,
    messages: f64,
}

/// One frame: the node's totals, then the processes in `order`.
fn render(
    client: &Client,
    stats: &StatsSample,
    processes: &[ProcessRow],
    previous: Option<&(StatsSample, HashMap<String, Counts>)>,
    order: TopOrder,
    limit: usize,
    json: bool,
) -> Result<String> {
    let window = previous.map_or(0, |(before, _)| stats.uptime_nanos.saturating_sub(before.uptime_nanos)).max(1);
    let per_second = |now: u64, before: u64| now.saturating_sub(before) as f64 * 1e9 / window as f64;
    let rates = |row: &ProcessRow| -> ProcessRates {
        let now = (row.reductions, row.messages_received);
        let before = previous.and_then(|(_, seen)| seen.get(&row.pid).copied()).unwrap_or(now);
        ProcessRates { reductions: per_second(now.0, before.0), messages: per_second(now.1, before.1) }
    };
    let mut ranked: Vec<(ProcessRates, &ProcessRow)> = processes.iter().map(|row| (rates(row), row)).collect();
    ranked.sort_by(|(ra, a), (rb, b)| {
        let key = |rate: ProcessRates, row: &ProcessRow| match order {
            TopOrder::ReductionsRate => rate.reductions,
            TopOrder::MessagesRate => rate.messages,
            TopOrder::Reductions => row.reductions as f64,
            TopOrder::Memory => (row.linear_memory + row.host_memory) as f64,
            TopOrder::Mailbox => row.mailbox.unwrap_or(0) as f64,
        };
        key(*rb, b).total_cmp(&key(*ra, a))
    });
    ranked.truncate(limit);
    let rates = previous.map(|(before, _)| Rates::between(before, stats));
    if json {
        let rows: Vec<_> = ranked
            .iter()
            .map(|(rate, row)| {
                serde_json::json!({
                    "process": row,
                    "reductions_per_sec": rate.reductions,
                    "messages_per_sec": rate.messages,
                })
            })
            .collect();
        return Ok(serde_json::to_string(&serde_json::json!({ "stats": stats, "rates": rates, "top": rows }))?);
    }
    let header = match &rates {
        Some(rates) => format!(
            "node {}  processes {}  reductions/s {:.0}  messages/s {:.0}  schedulers {:.0}%  run queues {}  memory {} linear, {} host",
            client.name(),
            stats.processes,
            rates.reductions_per_sec,
            rates.messages_per_sec,
            rates.total_utilization * 100.0,
            stats.run_queues.iter().sum::<usize>() + stats.global_queue,
            bytes(stats.memory.linear_memories),
            bytes(stats.memory.host),
        ),
        None => format!("node {}  processes {}  (rates from the next refresh)", client.name(), stats.processes),
    };
    let rows: Vec<ProcessRow> = ranked.iter().map(|(_, row)| (*row).clone()).collect();
    let mut cells = process_rows(&rows);
    for (cells, (rate, _)) in cells.iter_mut().zip(&ranked) {
        cells.insert(7, format!("{:.0}", rate.reductions));
        cells.insert(9, format!("{:.0}", rate.messages));
    }
    let mut headers = PS_HEADERS.to_vec();
    headers.insert(7, "REDS/S");
    headers.insert(9, "MSGS/S");
    let mut right = PS_RIGHT.to_vec();
    right.insert(7, true);
    right.insert(9, true);
    let keys = "order: r reductions/s, i messages/s, R reductions, m memory, b mailbox; q quits";
    Ok(format!("{header}\n{keys}\n\n{}", table(&headers, &right, &cells)))
}
