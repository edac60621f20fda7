//! What every benchmark runner shares (each includes this file): printing
//! figures, reading the Erlang side's, the Erlang/OTP version, the CPU time
//! this process used, and waiting for it to be quiet.

/// The figures of the Erlang side's `result KEY VALUE` lines.
pub fn parse_results(stdout: &str) -> std::collections::HashMap<String, f64> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("result"), Some(key), Some(value)) => value.parse().ok().map(|v| (key.to_string(), v)),
                _ => None,
            }
        })
        .collect()
}

/// CPU time used so far by all threads of this process, in ns
/// (/proc/self/task/*/schedstat).
pub fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()))
        .sum()
}

/// Waits until this process is quiet: over two 250 ms windows in a row,
/// its threads used under 5 ms of CPU and its resident set (read by `rss`)
/// moved by under 256 KiB. Quiet schedulers mean empty run queues: every
/// process has reached its waiting point, and what idle processes give
/// back (stacks, constant pages) has gone. Returns how long that took.
pub fn quiesce<E: std::fmt::Display>(
    timeout: std::time::Duration,
    mut rss: impl FnMut() -> Result<u64, E>,
) -> Result<std::time::Duration, String> {
    let start = std::time::Instant::now();
    let mut read = || rss().map_err(|error| format!("cannot read the resident set: {error}"));
    let mut previous = (cpu_ns(), read()?);
    let mut calm = 0;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let now = (cpu_ns(), read()?);
        let busy = now.0.saturating_sub(previous.0);
        let moved = now.1.abs_diff(previous.1);
        calm = if busy < 5_000_000 && moved < 256 << 10 { calm + 1 } else { 0 };
        if calm >= 2 {
            return Ok(start.elapsed());
        }
        previous = now;
        if start.elapsed() > timeout {
            return Err(format!(
                "the process did not settle within {timeout:?} (last window: {busy} ns CPU, RSS moved {moved} B)"
            ));
        }
    }
}

/// The Erlang/OTP the Erlang side runs on (`OTP 25, ERTS 13.1.5, 2
/// schedulers`), or why `erl` cannot run here.
pub fn erlang_version() -> Result<String, String> {
    let probe = std::process::Command::new("erl")
        .args([
            "-noshell",
            "-eval",
            "io:format(\"OTP ~s, ERTS ~s, ~p schedulers~n\", [erlang:system_info(otp_release), erlang:system_info(version), erlang:system_info(schedulers_online)]), halt().",
        ])
        .stdin(std::process::Stdio::null())
        .output();
    match probe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("`erl` not found (install Erlang/OTP: apt-get install -y erlang-nox)".to_string())
        }
        Err(e) => Err(format!("cannot run `erl`: {e}")),
        Ok(out) if !out.status.success() => Err(format!("`erl` failed: {}", out.status)),
        Ok(out) => Ok(String::from_utf8_lossy(&out.stdout).trim().to_string()),
    }
}

/// `n` with thousands separators: 1234567 -> "1,234,567".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints `lines` as a Markdown table, the first line as its header: the
/// first column left-aligned, the others right-aligned.
pub fn print_markdown_table(lines: &[Vec<String>]) {
    let columns = lines.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| lines.iter().map(|l| l.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0))
        .collect();
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
                if c == 0 { format!("{cell}{pad}") } else { format!("{pad}{cell}") }
            })
            .collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("|-{}-|", rule.join("-|-"));
        }
    }
}
