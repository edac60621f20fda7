//! How processes end: exit reasons, traps, limits, and what a crash leaves
//! running.

use crate::common::*;
use std::collections::HashSet;

#[test]
fn returning_from_the_entry_is_a_normal_exit() {
    let node = node(2);
    let module = load_fixture(&node, "minimal.wat");
    let process = spawn(&node, &module, "quick", b"");
    assert_eq!(finish(&process), ExitReason::Normal);
    assert!(!node.is_alive(process.pid()));
}

/// Each entry exits with one reason; `unreachable` after `exit` would turn
/// any return from `exit` into a trap.
const EXIT: &str = r#"
  (data (i32.const 1024) "boom")
  (data (i32.const 1032) "bye")
  (func (export "custom")
    (call $exit (i32.const 2) (i32.const 1024) (i32.const 4))
    (unreachable))
  (func (export "shutdown")
    (call $exit (i32.const 1) (i32.const 1032) (i32.const 3))
    (unreachable))
  (func (export "bare_shutdown")
    (call $exit (i32.const 1) (i32.const 0) (i32.const 0))
    (unreachable))
  (func (export "normal")
    (call $exit (i32.const 0) (i32.const 1024) (i32.const 4))
    (unreachable))
  ;; exit deep inside nested calls ends the whole process
  (func $deep (param $n i32)
    (if (i32.eqz (local.get $n))
      (then (call $exit (i32.const 2) (i32.const 1024) (i32.const 4)))
      (else (call $deep (i32.sub (local.get $n) (i32.const 1)))))
    (unreachable))
  (func (export "nested")
    (call $deep (i32.const 50))
    (unreachable))
  (func (export "kill")
    (call $exit (i32.const 3) (i32.const 0) (i32.const 0)))
  (func (export "trap_kind")
    (call $exit (i32.const 6) (i32.const 1024) (i32.const 4)))
  (func (export "unknown_kind")
    (call $exit (i32.const 42) (i32.const 0) (i32.const 0)))
  (func (export "negative_kind")
    (call $exit (i32.const -1) (i32.const 0) (i32.const 0)))
"#;

fn exit_reason_of(entry: &str) -> ExitReason {
    let node = node(1);
    let module = load(&node, "exit", &wat(EXIT));
    finish(&spawn(&node, &module, entry, b""))
}

#[test]
fn exit_with_a_custom_reason_keeps_the_detail_bytes() {
    assert_eq!(exit_reason_of("custom"), ExitReason::Custom(b"boom".to_vec()));
}

#[test]
fn exit_with_a_shutdown_reason_keeps_the_detail_bytes() {
    assert_eq!(exit_reason_of("shutdown"), ExitReason::Shutdown(b"bye".to_vec()));
    assert_eq!(exit_reason_of("bare_shutdown"), ExitReason::Shutdown(Vec::new()));
}

#[test]
fn exit_with_the_normal_reason_is_a_normal_exit() {
    assert_eq!(exit_reason_of("normal"), ExitReason::Normal);
}

#[test]
fn exit_from_nested_calls_ends_the_process() {
    assert_eq!(exit_reason_of("nested"), ExitReason::Custom(b"boom".to_vec()));
}

#[test]
fn exit_with_a_reason_kind_a_guest_may_not_give_traps() {
    for entry in ["kill", "trap_kind", "unknown_kind", "negative_kind"] {
        let reason = exit_reason_of(entry);
        let text = expect_trap(&reason, &["warren_v1.exit", "reason kind"]);
        assert!(!text.contains("process called exit"), "{entry}: {text}");
    }
}

fn sdk_exit(mode: &str) -> ExitReason {
    let node = node(1);
    let module = load_artifact(&node, warren_test_artifacts::SDK_EXIT);
    let inbox = node.inbox();
    finish(&spawn(&node, &module, "main", &reporter_arg(&inbox, mode.as_bytes())))
}

#[test]
fn the_rust_sdk_exits_with_the_reason_it_is_given() {
    assert_eq!(sdk_exit("custom"), ExitReason::Custom(b"boom".to_vec()));
    assert_eq!(sdk_exit("shutdown"), ExitReason::Shutdown(b"bye".to_vec()));
    assert_eq!(sdk_exit("exit-normal"), ExitReason::Normal);
    assert_eq!(sdk_exit(""), ExitReason::Normal);
}

#[test]
fn a_rust_panic_is_a_trap() {
    expect_trap(&sdk_exit("panic"), &["unreachable"]);
}

#[test]
fn a_trap_ends_only_that_process_with_the_trap_text() {
    let node = node(2);
    let module = load(
        &node,
        "crash",
        &wat(&format!(
            r#"{ECHO}
            (func (export "crash") (unreachable))
            "#
        )),
    );
    let inbox = node.inbox();
    let echo = spawn(&node, &module, "main", b"");
    inbox.send(echo.pid(), 1, b"before");
    assert_eq!(&*recv_tag(&inbox, 1).data, b"before");
    let crasher = spawn(&node, &module, "crash", b"");
    expect_trap(&finish(&crasher), &["unreachable"]);
    assert!(!node.is_alive(crasher.pid()));
    // The echo process, and the node, keep working.
    assert!(node.is_alive(echo.pid()));
    inbox.send(echo.pid(), 2, b"after");
    let reply = recv_tag(&inbox, 2);
    assert_eq!((reply.sender, &*reply.data), (echo.pid(), &b"after"[..]));
    inbox.send(echo.pid(), 0, b"");
    recv_tag(&inbox, 0);
    finish_normally(&echo);
}

#[test]
fn a_trap_text_carries_the_wasm_backtrace_with_function_names() {
    let node = node(1);
    let module = load(
        &node,
        "divide",
        &wat(r#"
        (func $divide_it (param $n i32) (result i32)
          (i32.div_s (i32.const 1) (local.get $n)))
        (func (export "main")
          (drop (call $divide_it (i32.const 0))))
        "#),
    );
    let text = expect_trap(&finish(&spawn(&node, &module, "main", b"")), &["divide by zero"]);
    assert!(text.contains("divide_it"), "the backtrace names the function: {text}");
}

#[test]
fn integer_division_by_zero_traps_with_its_text() {
    let node = node(1);
    let module = load(
        &node,
        "divide",
        &wat(r#"
        (func (export "main")
          (drop (i64.rem_u (i64.const 7) (i64.extend_i32_u (call $arg_size)))))
        "#),
    );
    expect_trap(&finish(&spawn(&node, &module, "main", b"")), &["divide by zero"]);
    assert_node_still_runs(&node);
}

#[test]
fn a_stack_overflow_traps_only_that_process() {
    let node = node(2);
    let module = load(
        &node,
        "recurse",
        &wat(r#"
        (func $down (param $n i64) (result i64)
          (i64.add (call $down (i64.add (local.get $n) (i64.const 1))) (local.get $n)))
        (func (export "main")
          (drop (call $down (i64.const 0))))
        "#),
    );
    let text = expect_trap(&finish(&spawn(&node, &module, "main", b"")), &[]);
    assert!(text.contains("stack"), "the trap text names the stack: {text}");
    assert_node_still_runs(&node);
}

#[test]
fn a_memory_access_out_of_bounds_traps() {
    let node = node(1);
    let module = load(
        &node,
        "oob",
        &wat(r#"
        (func (export "main")
          (drop (i64.load (i32.const 65532))))
        "#),
    );
    expect_trap(&finish(&spawn(&node, &module, "main", b"")), &["out of bounds"]);
    assert_node_still_runs(&node);
}

/// Runs `call` (instructions leaving the host function's result as an i64)
/// in the entry `main`, spawned with a 16-byte argument and with a 16-byte
/// message from itself already queued. Checks the process traps with a text
/// naming `function` and saying the range is outside memory, then that the
/// node still runs other processes.
fn assert_bad_range_traps(function: &str, call: &str) {
    let node = node(2);
    let module = load(
        &node,
        "bad-range",
        &wat(&format!(
            r#"
            (data (i32.const 1024) "main")
            (func (export "main")
              (drop (call $send (call $self) (i64.const 1) (i32.const 16) (i32.const 16)))
              (i64.store (i32.const 32) (block (result i64) {call}))
              ;; not reached if the call traps; the detail is what it returned
              (call $exit (i32.const 2) (i32.const 32) (i32.const 8)))
            "#
        )),
    );
    let process = spawn(&node, &module, "main", &[7; 16]);
    let reason = finish(&process);
    if let ExitReason::Custom(returned) = &reason {
        panic!("warren_v1.{function} returned {} instead of trapping", as_i64(returned));
    }
    expect_trap(&reason, &[&format!("warren_v1.{function}"), "outside linear memory"]);
    assert_node_still_runs(&node);
}

#[test]
fn send_from_a_range_past_the_end_of_memory_traps_naming_send() {
    assert_bad_range_traps(
        "send",
        "(i64.extend_i32_s (call $send (call $self) (i64.const 1) (i32.const 0xfffff000) (i32.const 8192)))",
    );
    assert_bad_range_traps(
        "send",
        "(i64.extend_i32_s (call $send (call $self) (i64.const 1) (i32.const 65000) (i32.const 537)))",
    );
}

#[test]
fn send_with_a_negative_length_traps_naming_send() {
    // A negative length is a bad range, as for every other host function
    // (spawn, receive, exit ...), not a message too large.
    assert_bad_range_traps(
        "send",
        "(i64.extend_i32_s (call $send (call $self) (i64.const 1) (i32.const 16) (i32.const -1)))",
    );
}

#[test]
fn spawn_with_an_entry_name_outside_memory_traps_naming_spawn() {
    assert_bad_range_traps("spawn", "(call $spawn (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0))");
}

#[test]
fn spawn_with_an_argument_outside_memory_traps_naming_spawn() {
    assert_bad_range_traps("spawn", "(call $spawn (i32.const 1024) (i32.const 4) (i32.const 0x10000) (i32.const 1))");
    assert_bad_range_traps("spawn", "(call $spawn (i32.const 1024) (i32.const 4) (i32.const 0) (i32.const -8))");
}

#[test]
fn spawn_module_with_a_name_outside_memory_traps_naming_spawn_module() {
    assert_bad_range_traps(
        "spawn_module",
        "(call $spawn_module (i32.const -4) (i32.const 8) (i32.const 1024) (i32.const 4) (i32.const 0) (i32.const 0))",
    );
}

#[test]
fn arg_read_into_a_buffer_past_the_end_of_memory_traps_naming_arg_read() {
    assert_bad_range_traps("arg_read", "(i64.extend_i32_s (call $arg_read (i32.const 65530) (i32.const 16)))");
}

#[test]
fn arg_read_with_a_buffer_that_runs_past_the_end_of_memory_traps_even_if_the_argument_fits() {
    // The ABI checks every (ptr, len) pair, not only the bytes copied: a
    // 4096-byte buffer at 65000 does not fit in 65536 bytes, whatever the
    // argument's size (here 16).
    assert_bad_range_traps("arg_read", "(i64.extend_i32_s (call $arg_read (i32.const 65000) (i32.const 4096)))");
}

#[test]
fn msg_read_with_a_buffer_that_runs_past_the_end_of_memory_traps_even_if_the_message_fits() {
    assert_bad_range_traps(
        "msg_read",
        r#"(drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
           (i64.extend_i32_s (call $msg_read (i32.const 0) (i32.const 65000) (i32.const 4096)))"#,
    );
}

#[test]
fn msg_read_into_a_buffer_past_the_end_of_memory_traps_naming_msg_read() {
    assert_bad_range_traps(
        "msg_read",
        r#"(drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
           (i64.extend_i32_s (call $msg_read (i32.const 0) (i32.const 65530) (i32.const 16)))"#,
    );
}

#[test]
fn receive_with_tags_outside_memory_traps_naming_receive() {
    assert_bad_range_traps(
        "receive",
        "(i64.extend_i32_s (call $receive (i32.const 65532) (i32.const 2) (i64.const -1)))",
    );
}

#[test]
fn exit_with_a_detail_outside_memory_traps_naming_exit() {
    assert_bad_range_traps("exit", "(call $exit (i32.const 2) (i32.const 65535) (i32.const 2)) (i64.const 0)");
}

#[test]
fn set_handler_with_a_name_outside_memory_traps_naming_set_handler() {
    assert_bad_range_traps(
        "set_handler",
        "(i64.extend_i32_s (call $set_handler (i32.const 0x7fffffff) (i32.const 4)))",
    );
}

#[test]
fn a_guest_without_memory_that_sends_bytes_traps_with_a_clear_text() {
    let node = node(1);
    let inbox = node.inbox();
    // With no memory the guest cannot read an argument: the inbox pid is
    // written into its code.
    let source = format!(
        r#"(module
          (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
          (func (export "main")
            ;; no bytes: fine without a memory
            (drop (call $send (i64.const {inbox}) (i64.const 1) (i32.const 0) (i32.const 0)))
            ;; 4 bytes: there is no memory to take them from
            (drop (call $send (i64.const {inbox}) (i64.const 2) (i32.const 0) (i32.const 4)))))"#,
        inbox = inbox.pid().raw()
    );
    let module = load(&node, "no-memory", &source);
    let process = spawn(&node, &module, "main", b"");
    let text = expect_trap(&finish(&process), &["warren_v1.send"]);
    assert!(text.contains("memory"), "the text says there is no memory: {text}");
    let empty = recv_tag(&inbox, 1);
    assert!(empty.data.is_empty());
    assert_eq!(inbox.try_recv(), None, "the 4-byte message was not sent");
    assert_node_still_runs(&node);
}

/// A guest growing its memory: first to 1 MiB (allowed under a 1 MiB limit),
/// checking the contents survive, then one page more.
const GROW: &str = r#"
  (func (export "main")
    (local $reporter i64)
    (local.set $reporter (call $arg_pid))
    (i64.store (i32.const 16) (i64.const 0x1234567890))
    (call $report (local.get $reporter) (i64.const 1) (i64.extend_i32_s (memory.grow (i32.const 15))))
    (call $report (local.get $reporter) (i64.const 2) (i64.load (i32.const 16)))
    (i64.store (i32.const 1048568) (i64.const 77))
    (call $report (local.get $reporter) (i64.const 3) (i64.load (i32.const 1048568)))
    ;; past the limit
    (call $report (local.get $reporter) (i64.const 4) (i64.extend_i32_s (memory.grow (i32.const 1)))))
"#;

fn assert_memory_limit(layout: MemoryLayout) {
    let node = node_with(NodeConfig::default().schedulers(1).max_memory(1 << 20).layout(layout));
    let module = load(&node, "grow", &wat(GROW));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 1, "growing to 1 MiB succeeds (old size: 1 page)");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 0x1234567890, "the contents survive the growth");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 77, "the new pages are usable");
    let reason = finish(&process);
    expect_limit(&reason, &["memory"]);
    assert_eq!(inbox.try_recv(), None, "memory.grow past the limit must not return");
    assert_node_still_runs(&node);
}

#[test]
fn growing_memory_past_the_limit_is_a_limit_exit_in_the_dense_layout() {
    assert_memory_limit(MemoryLayout::Dense);
}

#[test]
fn growing_memory_past_the_limit_is_a_limit_exit_in_the_guarded_layout() {
    assert_memory_limit(MemoryLayout::Guarded);
}

#[test]
fn running_out_of_total_fuel_is_a_limit_exit() {
    let node = node_with(NodeConfig::default().schedulers(2).max_fuel(Some(1_000_000)));
    let module = load_fixture(&node, "busy.wat");
    let process = spawn(&node, &module, "main", b"");
    expect_limit(&finish(&process), &["fuel"]);
    assert!(!node.is_alive(process.pid()));
    // The same fuel is enough for a small job.
    assert_node_still_runs(&node);
}

/// A process that takes only tag 1 (selective receive, waiting forever) and
/// reports each one back with tag 1; messages of any other tag pile up.
const PICKY: &str = r#"
    (func (export "main")
      (local $reporter i64)
      (local.set $reporter (call $arg_pid))
      (i64.store (i32.const 16) (i64.const 1))
      (loop $next
        (drop (call $receive (i32.const 16) (i32.const 1) (i64.const -1)))
        (call $report (local.get $reporter) (i64.const 1) (i64.const 0))
        (br $next)))
"#;

/// A node of 2 schedulers with mailbox limit `max_mailbox`, running PICKY
/// that reports to the returned inbox.
fn picky(max_mailbox: Option<usize>) -> (Node, Inbox, ProcessHandle) {
    let node = node_with(NodeConfig::default().schedulers(2).max_mailbox(max_mailbox));
    let module = load(&node, "picky", &wat(PICKY));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    (node, inbox, process)
}

#[test]
fn a_mailbox_past_the_limit_ends_its_process_with_a_limit() {
    let (node, inbox, process) = picky(Some(100));
    // 99 messages it does not take, plus one it takes: 100 queued at once
    // is within the limit (it answers).
    for _ in 0..99 {
        inbox.send(process.pid(), 2, b"unwanted");
    }
    inbox.send(process.pid(), 1, b"wanted");
    recv_tag(&inbox, 1);
    assert!(node.is_alive(process.pid()), "100 queued is within the limit");
    // 99 left, waiting in its private queue (the selective receive moved
    // them there): they still count, so the 101st queued message ends it.
    inbox.send(process.pid(), 2, b"the 100th");
    inbox.send(process.pid(), 2, b"one too many");
    expect_limit(&finish(&process), &["mailbox", "101 messages queued", "limit of 100"]);
    assert!(!node.is_alive(process.pid()));
    assert_node_still_runs(&node);
}

#[test]
fn timer_messages_count_against_the_mailbox_limit() {
    let node = node_with(NodeConfig::default().schedulers(2).max_mailbox(Some(5)));
    // Arms 10 timers to itself (tag 2, due at once), then waits only for
    // tag 1: the timer messages pile up past the limit of 5.
    let flooder = rwat(
        r#"
        (func (export "main")
          (local $i i32)
          (loop $arm
            (drop (call $send_after (call $self) (i64.const 2) (i32.const 0) (i32.const 0) (i64.const 0)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $arm (i32.lt_u (local.get $i) (i32.const 10))))
          (i64.store (i32.const 24) (i64.const 1))
          (drop (call $receive (i32.const 24) (i32.const 1) (i64.const -1))))
    "#,
    );
    let module = load(&node, "flooder", &flooder);
    let process = spawn(&node, &module, "main", b"");
    expect_limit(&finish(&process), &["mailbox", "limit of 5"]);
    assert_node_still_runs(&node);
}

#[test]
fn a_process_that_keeps_up_never_meets_the_mailbox_limit() {
    let (node, inbox, process) = picky(Some(3));
    // Far more messages in all than the limit, but at most 3 at a time.
    for round in 0..1_000 {
        for _ in 0..3 {
            inbox.send(process.pid(), 1, b"");
        }
        for _ in 0..3 {
            recv_tag(&inbox, 1);
        }
        assert!(node.is_alive(process.pid()), "round {round}");
    }
}

#[test]
fn without_a_mailbox_limit_messages_pile_up_freely() {
    let (node, inbox, process) = picky(None);
    for _ in 0..100_000 {
        inbox.send(process.pid(), 2, b"unwanted");
    }
    inbox.send(process.pid(), 1, b"wanted");
    recv_tag(&inbox, 1);
    assert!(node.is_alive(process.pid()));
}

#[test]
fn pids_are_never_reused() {
    let node = node(2);
    let module = load_fixture(&node, "minimal.wat");
    let mut pids = HashSet::new();
    for _ in 0..100 {
        let process = spawn(&node, &module, "quick", b"");
        finish_normally(&process);
        assert!(pids.insert(process.pid()), "pid {} issued twice", process.pid());
    }
    for pid in &pids {
        assert!(!node.is_alive(*pid), "stale pid {pid} is alive");
        assert_eq!(node.reductions(*pid), None, "stale pid {pid} has reductions");
    }
    assert_eq!(node.process_count(), 0);
}

fn initial_memory_past_the_limit(layout: MemoryLayout) {
    let node = node_with(NodeConfig::default().schedulers(1).max_memory(1 << 20).layout(layout));
    // 32 pages = 2 MiB from the start.
    let module = load(&node, "too-big", r#"(module (memory (export "memory") 32) (func (export "main")))"#);
    // Refused at spawn or ended with a limit: either way it never runs.
    if let Ok(process) = node.spawn(&module, "main", b"") {
        expect_limit(&finish(&process), &["memory"]);
    }
    assert_node_still_runs(&node);
}

#[test]
fn a_module_whose_initial_memory_is_past_the_limit_ends_with_a_limit_in_the_dense_layout() {
    initial_memory_past_the_limit(MemoryLayout::Dense);
}

#[test]
fn a_module_whose_initial_memory_is_past_the_limit_ends_with_a_limit_in_the_guarded_layout() {
    initial_memory_past_the_limit(MemoryLayout::Guarded);
}

fn growing_past_the_declared_maximum(layout: MemoryLayout) {
    let node = node_with(NodeConfig::default().schedulers(1).layout(layout));
    let module = load(
        &node,
        "declared-max",
        r#"(module
          (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
          (memory (export "memory") 1 2)
          (func (export "main")
            ;; [grow by 1, grow by 1 more, size] as the exit detail
            (i32.store (i32.const 16) (memory.grow (i32.const 1)))
            (i32.store (i32.const 20) (memory.grow (i32.const 1)))
            (i32.store (i32.const 24) (memory.size))
            (call $exit (i32.const 2) (i32.const 16) (i32.const 12))))"#,
    );
    let reason = finish(&spawn(&node, &module, "main", b""));
    let expected: Vec<u8> = [1i32, -1, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    assert_eq!(reason, ExitReason::Custom(expected), "memory.grow past the module's own maximum returns -1");
}

#[test]
fn growing_past_the_declared_maximum_returns_minus_one_in_the_dense_layout() {
    growing_past_the_declared_maximum(MemoryLayout::Dense);
}

#[test]
fn growing_past_the_declared_maximum_returns_minus_one_in_the_guarded_layout() {
    growing_past_the_declared_maximum(MemoryLayout::Guarded);
}

#[test]
fn waiting_again_for_an_exited_process_gives_the_same_reason() {
    let node = node(1);
    let module = load(&node, "exit", &wat(EXIT));
    let process = spawn(&node, &module, "custom", b"");
    let boom = ExitReason::Custom(b"boom".to_vec());
    assert_eq!(finish(&process), boom);
    // The process is long gone: no wait may say it still runs, or that it
    // never existed.
    assert_eq!(process.wait_timeout(std::time::Duration::ZERO), Some(boom.clone()), "wait_timeout after wait");
    assert_eq!(process.wait(), boom, "wait after wait");
}

#[test]
fn stopping_the_node_ends_every_process_with_a_shutdown_reason() {
    let node = node(2);
    let minimal = load_fixture(&node, "minimal.wat");
    let busy = load_fixture(&node, "busy.wat");
    let inbox = node.inbox();
    let looping = spawn(&node, &busy, "main", b"");
    let waiting = spawn(&node, &minimal, "main", b"");
    let idle = spawn(&node, &minimal, "idle", b"");
    // Make sure the waiting and idle processes are past their start.
    let echo = load(&node, "echo", &wat(ECHO));
    let probe = spawn(&node, &echo, "main", b"");
    inbox.send(waiting.pid(), 1, b"");
    inbox.send(idle.pid(), 1, b"");
    inbox.send(probe.pid(), 0, b"");
    recv_tag(&inbox, 0);
    finish_normally(&probe);
    node.shutdown();
    for process in [&looping, &waiting, &idle] {
        let reason = finish(process);
        assert!(matches!(reason, ExitReason::Shutdown(_)), "{}: {reason:?}", process.pid());
    }
}
