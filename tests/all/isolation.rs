//! Processes share nothing: every process starts from a fresh instance,
//! whatever the process before it left in memory.

use crate::common::*;

/// `dirty` grows memory to 2 MiB and writes all over it (its data segment
/// included) and sets a global; `check` grows to 2 MiB too and reports the
/// number of non-zero 8-byte words outside its data segment (tag 1), its
/// data segment's 8 bytes (tag 2) and the global (tag 3).
const MEMORY: &str = r#"
  (data (i32.const 1024) "pristine")
  (global $touched (mut i64) (i64.const 0))
  (func (export "dirty")
    (local $at i32)
    (drop (memory.grow (i32.const 31)))
    (loop $fill
      (i64.store (local.get $at) (i64.const -1))
      (local.set $at (i32.add (local.get $at) (i32.const 4088)))
      (br_if $fill (i32.lt_u (local.get $at) (i32.const 2097144))))
    (i64.store (i32.const 2097144) (i64.const -1))
    (i64.store (i32.const 1024) (i64.const -1))
    (global.set $touched (i64.const -1)))
  (func (export "check")
    (local $reporter i64)
    (local $at i32)
    (local $dirty i64)
    (local.set $reporter (call $arg_pid))
    (i64.store (i32.const 0) (i64.const 0))  ;; the argument we just read
    (drop (memory.grow (i32.const 31)))
    (loop $scan
      (if (i32.ne (local.get $at) (i32.const 1024))
        (then
          (if (i64.ne (i64.load (local.get $at)) (i64.const 0))
            (then (local.set $dirty (i64.add (local.get $dirty) (i64.const 1)))))))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br_if $scan (i32.lt_u (local.get $at) (i32.const 2097152))))
    (call $report (local.get $reporter) (i64.const 1) (local.get $dirty))
    (call $report (local.get $reporter) (i64.const 2) (i64.load (i32.const 1024)))
    (call $report (local.get $reporter) (i64.const 3) (global.get $touched)))
"#;

fn a_new_process_never_sees_an_old_ones_memory(layout: MemoryLayout) {
    let node = node_with(NodeConfig::default().schedulers(1).layout(layout));
    let module = load(&node, "memory", &wat(MEMORY));
    let inbox = node.inbox();
    for round in 0..5 {
        finish_normally(&spawn(&node, &module, "dirty", b""));
        let check = spawn(&node, &module, "check", &reporter_arg(&inbox, b""));
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 0, "round {round}: words left non-zero by the last process");
        assert_eq!(&recv_tag(&inbox, 2).data[..], b"pristine", "round {round}: the data segment is fresh");
        assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 0, "round {round}: globals are fresh");
        finish_normally(&check);
    }
}

#[test]
fn a_new_process_never_sees_an_old_ones_memory_in_the_dense_layout() {
    a_new_process_never_sees_an_old_ones_memory(MemoryLayout::Dense);
}

#[test]
fn a_new_process_never_sees_an_old_ones_memory_in_the_guarded_layout() {
    a_new_process_never_sees_an_old_ones_memory(MemoryLayout::Guarded);
}

#[test]
fn large_messages_are_copied_intact_between_grown_memories() {
    let node = node(2);
    let module = load(
        &node,
        "large",
        &wat(r#"
        ;; echoes one message of any size up to 4 MiB to its sender
        (func (export "main")
          (local $len i32)
          (drop (memory.grow (i32.const 64)))
          (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (drop (call $msg_read (i32.const 0) (i32.const 65536) (local.get $len)))
          (drop (call $send (call $msg_sender) (call $msg_tag) (i32.const 65536) (local.get $len))))
        "#),
    );
    let inbox = node.inbox();
    let payload: Vec<u8> = (0..3 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let echo = spawn(&node, &module, "main", b"");
    inbox.send(echo.pid(), 4, &payload);
    let reply = recv_tag(&inbox, 4);
    assert!(reply.data.len() == payload.len() && *reply.data == payload[..], "the 3 MiB payload came back changed");
    finish_normally(&echo);
}

#[test]
fn a_module_loaded_on_another_node_is_refused_without_harm() {
    let first = node(1);
    let second = node(1);
    let module = load(&first, "elsewhere", &wat(ECHO));
    // Refusing at spawn, or ending the process with an error, are both
    // fine; hanging or losing a scheduler thread is not.
    if let Ok(process) = second.spawn(&module, "main", b"") {
        let reason = finish(&process);
        assert!(!reason.is_normal(), "a foreign module ran: {reason:?}");
    }
    assert_node_still_runs(&second);
    assert_node_still_runs(&first);
}
