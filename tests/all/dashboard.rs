//! The web dashboard and `/metrics` of a running node (`warren run
//! --dashboard`): each test starts a real `warren run` on the control
//! tests' guest (named processes: `holder_a`, `holder_b`, `echo`,
//! `ticker`...) and reads the URL the node prints. The browser test drives
//! Debian's headless Chromium through chromedriver (WebDriver, plain HTTP
//! and JSON); the others speak HTTP over a TCP socket.

use crate::common::PATIENCE;
use crate::control::{Sandbox, crasher_app, guest};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The install command a missing browser names.
const INSTALL: &str = "apt-get install -y chromium chromium-driver (./test.sh and .ci/run install them)";

/// A running `warren run` with a dashboard.
struct DashNode {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stdout_seen: Vec<String>,
    /// The URL printed, as printed (with the token, if any).
    url: String,
    /// `http://127.0.0.1:PORT` (where a test connects, whatever the node
    /// listens on).
    base: String,
}

impl DashNode {
    /// Starts `warren run args` in `sandbox`; returns once it printed its
    /// dashboard's URL to stderr and `ready` (unless empty) to stdout.
    fn start(sandbox: &Sandbox, args: &[&str], ready: &str) -> DashNode {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
            .args(args)
            .env("XDG_RUNTIME_DIR", &sandbox.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("warren run starts");
        let stdout = lines_of(child.stdout.take().expect("piped stdout"));
        let stderr = lines_of(child.stderr.take().expect("piped stderr"));
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = stderr
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no dashboard URL on stderr; stderr so far:\n{}", seen.join("\n")));
            assert!(!line.contains("panicked"), "warren panicked: {line}");
            if let Some(at) = line.find("dashboard on http://") {
                let url = &line[at + "dashboard on ".len()..];
                break url.split_whitespace().next().expect("a URL").to_string();
            }
            seen.push(line);
        };
        let port = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|host| host.rsplit_once(':'))
            .map(|(_, port)| port.to_string())
            .expect("a port in the URL");
        let mut node =
            DashNode { child, stdout, stdout_seen: Vec::new(), url, base: format!("http://127.0.0.1:{port}") };
        if !ready.is_empty() {
            node.wait_line(ready);
        }
        node
    }

    /// Waits for a stdout line containing `text`.
    fn wait_line(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(line) => self.stdout_seen.push(line),
                Err(_) => panic!("no line {text:?} from the node; stdout so far:\n{}", self.stdout_seen.join("\n")),
            }
        }
    }
}

impl Drop for DashNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines of `pipe`, read on a thread of their own.
fn lines_of(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (lines, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

// ---- HTTP/1.1 over a TCP socket ---------------------------------------------

/// An HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Opens `url` (`http://HOST:PORT/PATH`), sends the request, and returns
/// the reader positioned at the body with the status and headers.
fn open(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, HashMap<String, String>, BufReader<TcpStream>) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let stream = TcpStream::connect(host).unwrap_or_else(|e| panic!("cannot connect to {host}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout set");
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {host}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or(""));
    (&stream).write_all(request.as_bytes()).expect("request sent");
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).expect("status line read");
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header read");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    (status, headers, reader)
}

/// The next chunk of a chunked body (`None` at its end).
fn next_chunk(reader: &mut BufReader<TcpStream>) -> Option<Vec<u8>> {
    let mut size = String::new();
    reader.read_line(&mut size).expect("chunk size read");
    let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16).expect("a chunk size");
    let mut chunk = vec![0; size + 2];
    reader.read_exact(&mut chunk).expect("chunk read");
    chunk.truncate(size);
    if size == 0 { None } else { Some(chunk) }
}

/// A whole request and response.
fn http(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Reply {
    let (status, headers, mut reader) = open(method, url, headers, body);
    let mut bytes = Vec::new();
    if headers.get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        while let Some(chunk) = next_chunk(&mut reader) {
            bytes.extend(chunk);
        }
    } else if let Some(length) = headers.get("content-length").and_then(|l| l.parse::<usize>().ok()) {
        bytes.resize(length, 0);
        reader.read_exact(&mut bytes).expect("body read");
    } else {
        reader.read_to_end(&mut bytes).expect("body read");
    }
    Reply { status, headers, body: String::from_utf8(bytes).expect("a UTF-8 body") }
}

fn get(url: &str) -> Reply {
    http("GET", url, &[], None)
}

// ---- Prometheus text format 0.0.4, strictly -----------------------------------

/// A parsed exposition: samples by `name{labels}` (labels sorted), and
/// each metric's type.
#[derive(Debug, Default)]
struct Exposition {
    samples: BTreeMap<String, f64>,
    types: HashMap<String, String>,
}

impl Exposition {
    fn value(&self, key: &str) -> f64 {
        *self.samples.get(key).unwrap_or_else(|| panic!("no sample {key} in {:?}", self.samples.keys()))
    }
}

/// Parses `text`, panicking on anything the format does not allow: a
/// sample of a metric without HELP and TYPE before it, a HELP or TYPE
/// twice, an unknown type, a bad name, label or value, a sample twice.
fn parse_exposition(text: &str) -> Exposition {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut out = Exposition::default();
    let mut helps = HashSet::new();
    let is_name = |name: &str| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or_else(|| panic!("HELP without text: {line}"));
            assert!(is_name(name) && !help.is_empty(), "bad HELP line: {line}");
            assert!(helps.insert(name.to_string()), "HELP twice for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("TYPE without a type: {line}"));
            assert!(is_name(name), "bad TYPE line: {line}");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "bad type: {line}");
            assert!(out.types.insert(name.to_string(), kind.to_string()).is_none(), "TYPE twice for {name}");
            continue;
        }
        assert!(!line.starts_with('#') && !line.trim().is_empty(), "unexpected line: {line:?}");
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("no value: {line}"));
        let name = &line[..name_end];
        assert!(is_name(name), "bad metric name in {line}");
        assert!(helps.contains(name) && out.types.contains_key(name), "{name} has no HELP and TYPE before it");
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            let mut chars = inner.char_indices().peekable();
            // label="value" pairs, comma-separated, values with \\ \" \n escapes.
            let end = loop {
                let start = chars.peek().map(|&(i, _)| i).expect("labels end");
                if inner[start..].starts_with('}') {
                    break start + 1;
                }
                let eq = inner[start..].find('=').map(|i| start + i).expect("a label has `=`");
                let label = &inner[start..eq];
                assert!(is_name(label) && !label.contains(':'), "bad label name {label:?} in {line}");
                assert_eq!(inner.as_bytes().get(eq + 1), Some(&b'"'), "a label value is quoted: {line}");
                while chars.peek().is_some_and(|&(i, _)| i <= eq + 1) {
                    chars.next();
                }
                let mut value = String::new();
                loop {
                    match chars.next().expect("a label value ends") {
                        (_, '\\') => match chars.next().expect("an escape") {
                            (_, '\\') => value.push('\\'),
                            (_, '"') => value.push('"'),
                            (_, 'n') => value.push('\n'),
                            (_, other) => panic!("bad escape \\{other} in {line}"),
                        },
                        (_, '"') => break,
                        (_, c) => value.push(c),
                    }
                }
                labels.push(format!("{label}=\"{value}\""));
                match chars.next() {
                    Some((_, ',')) => {}
                    Some((i, '}')) => break i + 1,
                    other => panic!("bad label list at {other:?} in {line}"),
                }
            };
            rest = &inner[end..];
        }
        let mut fields =
            rest.strip_prefix(' ').unwrap_or_else(|| panic!("no space before the value: {line}")).split(' ');
        let value = fields.next().expect("a value");
        let value: f64 = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            number => number.parse().unwrap_or_else(|_| panic!("value {number:?} is not a float: {line}")),
        };
        if let Some(timestamp) = fields.next() {
            timestamp.parse::<i64>().unwrap_or_else(|_| panic!("bad timestamp in {line}"));
        }
        assert!(fields.next().is_none(), "trailing fields: {line}");
        labels.sort();
        let key = if labels.is_empty() { name.to_string() } else { format!("{name}{{{}}}", labels.join(",")) };
        assert!(out.samples.insert(key, value).is_none(), "a sample twice: {line}");
    }
    out
}

// ---- WebDriver (chromedriver) -----------------------------------------------

/// A chromedriver and one headless Chromium session; both end when dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

/// The key WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn start() -> Browser {
        let chromedriver = which("chromedriver").unwrap_or_else(|| panic!("chromedriver is not installed: {INSTALL}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver does not start ({e}): {INSTALL}"));
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut options = serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000"],
        });
        if let Some(chromium) = which("chromium") {
            options["binary"] = chromium.into();
        }
        let capabilities = serde_json::json!({
            "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": options } }
        });
        let mut browser = Browser { driver, base, session: String::new() };
        let created = browser.command("POST", "/session", Some(capabilities));
        browser.session =
            created["sessionId"].as_str().unwrap_or_else(|| panic!("no session ({INSTALL}): {created}")).to_string();
        browser
    }

    /// A WebDriver command; its `value`.
    fn command(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        let path = if path.starts_with("/session/") || path == "/session" {
            path.to_string()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let body = body.map(|b| b.to_string());
        let reply = http(method, &format!("{}{path}", self.base), &[], body.as_deref());
        let json = reply.json();
        assert!(reply.status == 200, "WebDriver {method} {path}: {} {json}", reply.status);
        json["value"].clone()
    }

    /// A command that may fail (an element gone stale under a redraw).
    fn try_command(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> Option<serde_json::Value> {
        let body = body.map(|b| b.to_string());
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let reply = http(method, &url, &[], body.as_deref());
        (reply.status == 200).then(|| reply.json()["value"].clone())
    }

    fn go(&self, url: &str) {
        self.command("POST", "/url", Some(serde_json::json!({ "url": url })));
    }

    /// The ids of the elements `css` selects now.
    fn find_all(&self, css: &str) -> Vec<String> {
        let found =
            self.command("POST", "/elements", Some(serde_json::json!({ "using": "css selector", "value": css })));
        found.as_array().into_iter().flatten().filter_map(|e| e[ELEMENT].as_str().map(str::to_string)).collect()
    }

    /// Waits until `css` selects something; clicks the first, retrying
    /// while the page redraws it.
    fn click(&self, css: &str) {
        self.until(&format!("a clickable {css}"), || {
            let element = self.find_all(css).into_iter().next()?;
            self.try_command("POST", &format!("/element/{element}/click"), Some(serde_json::json!({})))
        });
    }

    /// The text of the first element `css` selects, once there is one.
    fn text(&self, css: &str) -> String {
        self.until(&format!("text of {css}"), || {
            let element = self.find_all(css).into_iter().next()?;
            self.try_command("GET", &format!("/element/{element}/text"), None)?.as_str().map(str::to_string)
        })
    }

    /// Polls `check` until it gives something.
    fn until<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = check() {
                return found;
            }
            assert!(Instant::now() < deadline, "never found {what}; the page shows:\n{}", self.body_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn body_text(&self) -> String {
        self.find_all("body")
            .first()
            .and_then(|body| self.try_command("GET", &format!("/element/{body}/text"), None))
            .and_then(|text| text.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// A screenshot of the page, PNG.
    fn screenshot(&self) -> Vec<u8> {
        let encoded = self.command("GET", "/screenshot", None);
        base64(encoded.as_str().expect("base64 text"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_command("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn which(program: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file()).map(|p| p.display().to_string())
}

fn base64(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()).map(digit).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for group in digits.chunks(4) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend(&n.to_be_bytes()[1..group.len()]);
    }
    out
}

// ---- the tests --------------------------------------------------------------

/// A sandbox and a node running the control tests' guest with a loopback
/// dashboard on a free port.
fn started() -> (Sandbox, DashNode) {
    let sandbox = Sandbox::new();
    let file = sandbox.write("guest.wat", &guest());
    let node = DashNode::start(&sandbox, &["run", &file, "--dashboard", "127.0.0.1:0"], "ready");
    (sandbox, node)
}

#[test]
fn the_browser_finds_a_named_process_kills_it_and_sees_it_gone() {
    let (sandbox, mut node) = started();
    let browser = Browser::start();
    browser.go(&format!("{}#/processes", node.url));
    for name in ["holder_a", "holder_b", "echo", "ticker", "stateful"] {
        browser.until(&format!("the row of {name}"), || browser.find_all(&format!("tr[data-name=\"{name}\"]")).pop());
    }
    // The filter keeps only what matches.
    browser.click("#filter");
    let filter = browser.find_all("#filter").pop().expect("the filter box");
    browser.command("POST", &format!("/element/{filter}/value"), Some(serde_json::json!({ "text": "holder_" })));
    browser.until("a filtered table", || {
        let rows = browser.find_all("#processes tbody tr");
        (rows.len() == 2 && browser.find_all("tr[data-name=\"echo\"]").is_empty()).then_some(())
    });
    browser.click("tr[data-name=\"holder_a\"]");
    browser
        .until("the process page of holder_a", || browser.text("#process-title").contains("(holder_a)").then_some(()));
    let info = browser.text("#process-info");
    assert!(info.contains("holder") && info.contains("waiting"), "the info table:\n{info}");
    assert!(browser.text("#process-relations").contains("Monitored by"), "relations shown");
    browser.click("#kill");
    browser.click("#kill-confirm");
    // The root monitors holder_a: its DOWN says how it died.
    node.wait_line("holder down: killed");
    browser.until("the table without holder_a", || {
        let here = browser.find_all("tr[data-name=\"holder_b\"]").len() == 1;
        (here && browser.find_all("tr[data-name=\"holder_a\"]").is_empty()).then_some(())
    });
    let ps = sandbox.warren(&["ps", "--json"]);
    ps.ok();
    assert!(!ps.processes().iter().any(|row| row["name"] == "holder_a"), "holder_a is dead: {}", ps.stdout);
    assert!(ps.processes().iter().any(|row| row["name"] == "holder_b"), "holder_b lives: {}", ps.stdout);
    // The charts, once a few samples are in.
    browser.go(&format!("{}#/home", node.url));
    browser.until("three samples", || {
        browser.text("#summary").contains("Processes").then_some(())?;
        let history = get(&format!("{}/api/history", node.base)).json();
        (history["points"].as_array()?.len() >= 3).then_some(())
    });
    let png = browser.screenshot();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "a PNG header chunk");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("4 bytes"));
    let height = u32::from_be_bytes(png[20..24].try_into().expect("4 bytes"));
    assert!(width >= 1000 && height >= 600, "a screenshot of the window, {width}x{height}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dashboard-screenshot.png");
    std::fs::write(&path, &png).expect("screenshot saved");
}

#[test]
fn metrics_parse_as_prometheus_text_and_count_what_the_node_counts() {
    let (sandbox, node) = started();
    let reply = get(&format!("{}/metrics", node.base));
    assert_eq!(reply.status, 200);
    let content_type = reply.headers.get("content-type").cloned().unwrap_or_default();
    assert!(content_type.starts_with("text/plain") && content_type.contains("version=0.0.4"), "{content_type}");
    let metrics = parse_exposition(&reply.body);
    let stats = sandbox.warren(&["stats", "--json"]);
    stats.ok();
    let ps = sandbox.warren(&["ps", "--json"]);
    ps.ok();
    let processes = stats.json()["sample"]["processes"].as_f64().expect("a process count");
    assert_eq!(metrics.value("warren_processes"), processes);
    assert_eq!(ps.json()["total"].as_f64(), Some(processes));
    // The root and its seven: holders, echo, ticker, stateful, big, burner.
    assert_eq!(processes, 8.0);
    for (name, kind) in [
        ("warren_processes", "gauge"),
        ("warren_memory_bytes", "gauge"),
        ("warren_reductions_total", "counter"),
        ("warren_messages_total", "counter"),
        ("warren_supervisor_restarts_total", "counter"),
        ("warren_run_queue_length", "gauge"),
        ("warren_scheduler_utilization", "gauge"),
    ] {
        assert_eq!(metrics.types.get(name).map(String::as_str), Some(kind), "{name}");
    }
    // `big` grew 10 pages; every process has at least one.
    assert!(metrics.value("warren_memory_bytes{kind=\"linear_memories\"}") >= (8.0 + 10.0) * 65536.0);
    // The burner burned 3,000,000 loop turns; the ticker sends and receives.
    assert!(metrics.value("warren_reductions_total") >= 3_000_000.0);
    assert!(metrics.value("warren_messages_total") >= 7.0, "the setup's messages");
    assert_eq!(metrics.value("warren_supervisor_restarts_total"), 0.0);
    assert!(metrics.value("warren_run_queue_length{scheduler=\"0\"}") >= 0.0);
    let by_status: f64 =
        metrics.samples.iter().filter(|(key, _)| key.starts_with("warren_processes_by_status{")).map(|(_, v)| v).sum();
    assert_eq!(by_status, processes, "every process has one status");
}

#[test]
fn restarts_of_the_hosts_supervisors_are_counted() {
    let sandbox = Sandbox::new();
    let manifest = crasher_app(&sandbox);
    let node = DashNode::start(&sandbox, &["run", &manifest, "--dashboard", "127.0.0.1:0"], "");
    let restarts =
        || parse_exposition(&get(&format!("{}/metrics", node.base)).body).value("warren_supervisor_restarts_total");
    assert_eq!(restarts(), 0.0);
    sandbox.until(&["registered", "--json"], |o| o.code == Some(0) && o.stdout.contains("crasher"));
    sandbox.warren(&["send", "crasher", "--tag", "1", "boom"]).ok();
    let deadline = Instant::now() + PATIENCE;
    while restarts() != 1.0 {
        assert!(Instant::now() < deadline, "the restart was never counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The tree agrees (one crash more in the default 5 s would be beyond
    // the supervisor's intensity and stop the node).
    let tree = sandbox.until(&["tree", "--json"], |o| o.code == Some(0));
    assert_eq!(tree.json()["trees"][0]["children"][0]["restarts"], 1);
}

#[test]
fn the_event_streams_push_samples_and_a_live_trace() {
    let (_sandbox, node) = started();
    let (status, headers, mut reader) = open("GET", &format!("{}/api/events", node.base), &[], None);
    assert_eq!(status, 200);
    assert!(headers.get("content-type").is_some_and(|t| t.starts_with("text/event-stream")), "{headers:?}");
    let samples: Vec<serde_json::Value> = read_events(&mut reader, 2)
        .into_iter()
        .map(|(name, data)| {
            assert_eq!(name, "sample");
            data
        })
        .collect();
    for sample in &samples {
        assert_eq!(sample["processes"], 8, "{sample}");
        assert!(sample["memory"]["linear_memories"].as_u64() > Some(0), "{sample}");
        assert!(sample["scheduler_utilization"].as_array().is_some_and(|u| !u.is_empty()), "{sample}");
    }
    let uptime = |s: &serde_json::Value| s["uptime_secs"].as_f64().expect("an uptime");
    assert!(uptime(&samples[1]) > uptime(&samples[0]), "a later sample");
    // A live trace of the ticker (which sends itself tag 5 and receives it)
    // ends after the events asked for.
    let (status, _, mut reader) = open("GET", &format!("{}/api/trace?target=ticker&count=2", node.base), &[], None);
    assert_eq!(status, 200);
    let events = read_events(&mut reader, 3);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["trace", "trace", "end"]);
    for (_, event) in &events[..2] {
        assert!(event["event"] == "sent" || event["event"] == "received", "{event}");
        assert_eq!(event["tag"], 5, "{event}");
    }
    assert_eq!(events[2].1["events"], 2);
    assert_eq!(events[2].1["why"], "count reached");
    assert!(next_chunk(&mut reader).is_none(), "the stream ends with its trace");
    // A page of another site that resolves its name to 127.0.0.1 is refused.
    let foreign = http("GET", &format!("{}/api/ps", node.base), &[("Host", "evil.example:80")], None);
    assert_eq!(foreign.status, 403);
    // The API answers what `warren ps` answers.
    let ps = get(&format!("{}/api/ps?sort=reductions&limit=1", node.base)).json();
    assert_eq!(ps["total"], 8);
    assert_eq!(ps["processes"][0]["name"], "burner", "the burner used the most reductions: {ps}");
}

/// The next `count` Server-Sent Events of a chunked stream: (name, data).
fn read_events(reader: &mut BufReader<TcpStream>, count: usize) -> Vec<(String, serde_json::Value)> {
    let mut text = String::new();
    let mut events = Vec::new();
    while events.len() < count {
        let chunk = next_chunk(reader).expect("the stream goes on");
        text.push_str(&String::from_utf8(chunk).expect("UTF-8 events"));
        while let Some((event, rest)) = text.split_once("\n\n") {
            let (mut name, mut data) = (String::new(), String::new());
            for line in event.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim_start());
                }
            }
            // A keep-alive comment has no data.
            if !data.is_empty() && events.len() < count {
                events.push((name, serde_json::from_str(&data).expect("JSON data")));
            }
            text = rest.to_string();
        }
    }
    events
}

#[test]
fn beyond_loopback_the_dashboard_needs_its_token() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("guest.wat", &guest());
    sandbox.warren(&["run", &file, "--dashboard", "0.0.0.0:0"]).fails_with("--dashboard-token");
    let token = "t0ken-for-the-dashboard-test";
    let node =
        DashNode::start(&sandbox, &["run", &file, "--dashboard", "0.0.0.0:0", "--dashboard-token", token], "ready");
    assert!(node.url.starts_with("http://0.0.0.0:") && node.url.ends_with(&format!("/?token={token}")), "{}", node.url);
    let metrics = format!("{}/metrics", node.base);
    assert_eq!(get(&metrics).status, 401);
    assert_eq!(http("GET", &metrics, &[("Authorization", "Bearer not-the-token-at-all")], None).status, 401);
    let bearer = format!("Bearer {token}");
    let allowed = http("GET", &metrics, &[("Authorization", &bearer)], None);
    assert_eq!(allowed.status, 200);
    parse_exposition(&allowed.body);
    // The page's URL sets the cookie the page's own requests then carry.
    let page = get(&format!("{}/?token={token}", node.base));
    assert_eq!(page.status, 200);
    let cookie =
        page.headers.get("set-cookie").expect("a cookie set").split(';').next().expect("name=value").to_string();
    assert_eq!(get(&format!("{}/api/ps", node.base)).status, 401);
    let ps = http("GET", &format!("{}/api/ps", node.base), &[("Cookie", &cookie)], None);
    assert_eq!(ps.status, 200);
    assert_eq!(ps.json()["total"], 8);
}
