//! The Rust SDK's stages (`warren::stage`) with real Rust guests
//! (`guests/rust/sdk-stages`, `guests/rust/example-pipeline`).
//!
//! A scenario runs in a driver process of `sdk-stages` (entry `drive`),
//! which reports each outcome as text, tag 1, then `end`; consumers report
//! what they got, tag 3. Mailbox bounds are checked by the host: the
//! stages of the pipeline are spawned with a mailbox limit of `max_demand`
//! messages, past which the host ends a process with `REASON_LIMIT`; the
//! same limit ends a consumer fed by a process that ignores demand.

use crate::common::*;
use std::sync::OnceLock;
use warren_host::term::{self, Term};

const TAG_DRIVER: i64 = 1;
const TAG_STAGE: i64 = 3;

/// One node with `sdk-stages` loaded, shared by this file's tests (each
/// scenario has processes of its own, so they cannot meet).
fn shared() -> &'static (Node, LoadedModule) {
    static SHARED: OnceLock<(Node, LoadedModule)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let node = node(2);
        let module = load_artifact(&node, warren_test_artifacts::SDK_STAGES);
        (node, module)
    })
}

/// Runs `scenario` in a driver; returns the driver's reports (before
/// `end`) and the stages' reports, sorted (their order between stages is
/// not fixed). The driver must end normally.
fn run(scenario: &str) -> (Vec<String>, Vec<String>) {
    let (node, module) = shared();
    let inbox = node.inbox();
    let arg = term::encode(&Term::tuple([Term::Pid(term::Pid::local(inbox.pid().raw())), Term::string(scenario)]))
        .expect("the driver's argument encodes");
    let driver = spawn(node, module, "drive", &arg);
    let (mut lines, mut stages) = (Vec::new(), Vec::new());
    loop {
        let message = recv(&inbox);
        let text = String::from_utf8_lossy(&message.data).into_owned();
        match message.tag {
            TAG_DRIVER if text == "end" => break,
            TAG_DRIVER => lines.push(text),
            TAG_STAGE => stages.push(text),
            other => panic!("unexpected report with tag {other}: {message:?}"),
        }
    }
    let reason = finish(&driver);
    assert!(reason.is_normal(), "the {scenario} driver exited {reason:?} after reporting {lines:?}");
    while let Some(message) = inbox.try_recv() {
        assert_eq!(message.tag, TAG_STAGE, "unexpected report {message:?}");
        stages.push(String::from_utf8_lossy(&message.data).into_owned());
    }
    stages.sort();
    (lines, stages)
}

#[test]
fn a_producer_sends_exactly_what_was_demanded() {
    let (lines, _) = run("demand");
    assert_eq!(
        lines,
        [
            // Asks of 3, 4, 5: handle_demand got 3 (made 6: 3 sent, 3
            // buffered); then the 3 buffered and handle_demand got 4 - 3 =
            // 1 (made 2: 1 sent, 1 buffered); then the 1 buffered and
            // handle_demand got 5 - 1 = 4 (made 8: 4 sent). One message
            // per dispatch: 1 + 2 + 2.
            "received 12 in 5 messages: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]",
            "handle_demand got 8, made 16",
            "unknown ask answered {9,2,<<\"unknown_subscription\">>}",
            "status Some(gen_stage) state true",
            "nothing more: []",
        ]
    );
}

#[test]
fn a_slow_consumer_keeps_every_mailbox_of_a_pipeline_within_max_demand() {
    let (lines, stages) = run("pipeline");
    // Every stage runs with a mailbox limit of 10 messages (max_demand):
    // one over it would have ended the stage, and the linked driver with it.
    assert_eq!(lines[0], "consumer normal");
    let (made, passed) = parse_pair(&lines[1], "producer made ", ", relay passed ");
    assert!(
        (300..=320).contains(&made) && (300..=made).contains(&passed),
        "the producer ran ahead of the slow consumer by at most two demand windows (2 x 10): {lines:?}"
    );
    assert_eq!(
        stages,
        ["slow got 300 sum 44850 in order true largest batch 5"],
        "batches of max - min = 5 events, in order"
    );
}

#[test]
fn a_consumer_fed_without_demand_overflows_the_same_mailbox_limit() {
    let (lines, _) = run("firehose");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("consumer limit:mailbox:") && lines[0].contains("exceeds the process limit of 10"),
        "the control: 200 events sent without demand overflow the limit of 10: {lines:?}"
    );
}

#[test]
fn broadcast_delivers_every_event_to_every_consumer() {
    let (lines, stages) = run("broadcast");
    assert_eq!(lines, ["consumer normal", "consumer normal", "consumer normal"]);
    let expected: Vec<u64> = (0..40).collect();
    assert_eq!(stages, ["a", "b", "c"].map(|label| format!("{label} {expected:?}")));
}

#[test]
fn a_partition_dispatcher_routes_by_hash_and_refuses_a_missing_partition() {
    let (lines, stages) = run("partition");
    assert_eq!(
        lines,
        [
            "consumer normal",
            "consumer normal",
            "partition 5: [\"cancel custom:partition 5 does not exist (the producer has 2)\"]",
        ]
    );
    let evens: Vec<u64> = (0..20).map(|n| n * 2).collect();
    let odds: Vec<u64> = (0..20).map(|n| n * 2 + 1).collect();
    assert_eq!(stages, [format!("p0 {evens:?}"), format!("p1 {odds:?}")]);
}

#[test]
fn cancel_modes_decide_whether_consumers_outlive_their_producer() {
    let (lines, _) = run("cancel_modes");
    assert_eq!(
        lines,
        [
            "3 subscribed, producer normal; permanent exited normal; transient alive [\"down normal\"]; \
             temporary alive [\"down normal\"]",
            "3 subscribed, producer custom:boom; permanent exited custom:boom; transient exited custom:boom; \
             temporary alive [\"down custom:boom\"]",
        ]
    );
}

#[test]
fn a_producer_forgets_consumers_that_cancel_or_exit() {
    let (lines, _) = run("consumer_leaves");
    assert_eq!(
        lines,
        [
            "temporary consumer after its cancel: alive, [\"cancel custom:enough\"]",
            "permanent consumer normal",
            "producer: 0 consumers, cancels [\"cancel custom:enough\", \"down normal\"]",
        ]
    );
}

#[test]
fn a_full_buffer_drops_the_oldest_or_the_newest_as_configured() {
    let (lines, _) = run("buffer");
    assert_eq!(lines, ["keep last: [5, 6, 7, 8, 9] then [100, 101]", "keep first: [0, 1, 2, 3, 4] then [100, 101]"]);
}

#[test]
fn the_pipeline_example_runs() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::EXAMPLE_PIPELINE);
    let main = spawn(&node, &module, "main", b"");
    finish_normally(&main);
}

/// The two numbers of `line`, `"{first}{a}{middle}{b}"`.
fn parse_pair(line: &str, first: &str, middle: &str) -> (u64, u64) {
    let rest = line.strip_prefix(first).unwrap_or_else(|| panic!("{line:?} does not start with {first:?}"));
    let (a, b) = rest.split_once(middle).unwrap_or_else(|| panic!("{line:?} has no {middle:?}"));
    (a.parse().expect("a number"), b.parse().expect("a number"))
}
