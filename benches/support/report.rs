//! How the benchmark runners print their figures (shared by `runtime.rs`,
//! `relations.rs`, `tables.rs` and `supervisors.rs`, each of which includes
//! this file).

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
