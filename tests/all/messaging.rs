//! Spawning, sending and receiving.

use crate::common::*;

#[test]
fn echo_round_trip_through_a_guest() {
    let node = node(2);
    let module = load(
        &node,
        "echo",
        &wat(r#"
        (func (export "main")
          (local $len i32)
          (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (drop (call $msg_read (i32.const 0) (i32.const 100) (local.get $len)))
          (drop (call $send (call $msg_sender) (i64.add (call $msg_tag) (i64.const 1)) (i32.const 100) (local.get $len))))
        "#),
    );
    let inbox = node.inbox();
    let process = node.spawn(&module, "main", b"").unwrap();
    inbox.send(process.pid(), 41, b"hello");
    let reply = recv(&inbox);
    assert_eq!((reply.tag, &*reply.data, reply.sender), (42, &b"hello"[..], process.pid()));
    assert!(process.wait().is_normal());
}
