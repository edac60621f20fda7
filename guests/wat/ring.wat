;; ring.wat: a ring of N processes passing a token around.
;;
;; Exports:
;;   memory  1 page
;;   main    () -> ()   the ring's first process (see below)
;;   node    () -> ()   every other process of the ring, blocking style
;;   hnode   () -> ()   the same, handler style: sets `relay` as its handler
;;   relay   () -> i32  hnode's handler: forwards one message
;;
;; main's spawn argument, 16 or 20 bytes:
;;   [N: u32 LE][reporter pid: i64 LE][rounds: u32 LE][style: u32 LE]
;; N is the number of processes in the ring, main included (0 counts as 1).
;; style 1 makes the other processes `hnode`s; 0, or no style, `node`s.
;;
;; main spawns N-1 `node` processes in a chain: each node's spawn argument is
;; the pid of the next node (i64 LE), and the last node gets main's pid, so the
;; ring is main -> node 1 -> node 2 -> ... -> node N-1 -> main. The nodes are
;; spawned from the last to the first, since each needs its successor's pid.
;;
;; Then main sends a token (tag 1, payload: the round number as u64 LE,
;; starting at 1) to node 1 and waits for it to come back, `rounds` times:
;; every round is N hops (N sends). After the last round main shuts the ring
;; down: it sends tag 0 (empty payload), every node forwards it and returns
;; (a normal exit), and main receives it back. Finally main sends the reporter
;; tag 7 with payload = total number of hops (rounds * N) as u64 LE, and
;; returns.
;;
;; A node forwards every message it receives to its next pid with the same tag
;; and payload (payloads longer than 65,280 bytes are cut to that length), and
;; returns after forwarding a tag 0 message. It takes each message with one
;; `receive_into` call, which writes the tag and payload where the node reads
;; them. An hnode does the same, one
;; message per call of its handler, which ends the process after tag 0.
;;
;; If a spawn fails, main exits with REASON_CUSTOM and the detail
;; "ring: spawn failed" (and never reports).
;;
;; Memory map:
;;    16  tag filter for receive (one i64)
;;    24  spawn argument of a node (i64 pid)
;;    32  the "ring: spawn failed" text (18 bytes)
;;    64  "node"; 68 "hnode"; 73 "relay" (entry and handler names)
;;   240  the tag and sender of the message a node took (receive_into)
;;   256  message buffer, up to the end of the page (65,280 bytes); main
;;        reads its spawn argument there first
(module
  (import "warren_v1" "self" (func $self (result i64)))
  ;; spawn(entry_ptr, entry_len, arg_ptr, arg_len) -> pid or error (< 0)
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  ;; arg_read(dst_ptr, dst_len) -> bytes copied
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  ;; exit(kind, detail_ptr, detail_len): never returns
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  ;; send(pid, tag, ptr, len) -> OK or error
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  ;; receive(tags_ptr, tags_count, timeout_ms) -> length or error
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  ;; receive_into(tags_ptr, tags_count, timeout_ms, buf_ptr, buf_len) -> length
  ;; or error; writes [tag: i64][sender: i64][payload...] to the buffer
  (import "warren_v1" "receive_into" (func $receive_into (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  ;; msg_read(offset, dst_ptr, dst_len) -> bytes copied
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  ;; set_handler(name_ptr, name_len) -> OK (0) or error
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))

  (memory (export "memory") 1)

  (global $TAG_FILTER i32 (i32.const 16))
  (global $NODE_ARG i32 (i32.const 24))
  (global $HEADER i32 (i32.const 240))
  (global $BUF i32 (i32.const 256))
  (global $BUF_LEN i32 (i32.const 65280))  ;; 65536 - 256

  (global $REASON_CUSTOM i32 (i32.const 2))

  (data (i32.const 32) "ring: spawn failed")  ;; 18 bytes
  (data (i32.const 64) "node")                ;; 4 bytes: the entry name
  (data (i32.const 68) "hnode")               ;; 5 bytes, handler style
  (data (i32.const 73) "relay")               ;; 5 bytes, hnode's handler

  ;; Waits (forever) for the oldest message with tag `tag`; returns its length.
  (func $receive_tag (param $tag i64) (result i32)
    (i64.store (global.get $TAG_FILTER) (local.get $tag))
    (call $receive (global.get $TAG_FILTER) (i32.const 1) (i64.const -1)))

  (func $main (export "main")
    (local $n i32)
    (local $reporter i64)
    (local $rounds i32)
    (local $next i64)
    (local $i i32)
    (local $round i32)
    (local $hops i64)
    (local $arg_len i32)
    (local $entry i32)
    (local $entry_len i32)

    ;; the argument: [N: u32][reporter: i64][rounds: u32], then [style: u32]
    (local.set $arg_len (call $arg_read (global.get $BUF) (i32.const 20)))
    (if (i32.and (i32.ne (local.get $arg_len) (i32.const 16))
                 (i32.ne (local.get $arg_len) (i32.const 20)))
      (then (unreachable)))
    (local.set $n (i32.load (global.get $BUF)))
    (local.set $reporter (i64.load offset=4 (global.get $BUF)))
    (local.set $rounds (i32.load offset=12 (global.get $BUF)))
    (if (i32.eqz (local.get $n)) (then (local.set $n (i32.const 1))))
    ;; "node", or "hnode" for style 1
    (local.set $entry (i32.const 64))
    (local.set $entry_len (i32.const 4))
    (if (i32.eq (local.get $arg_len) (i32.const 20))
      (then
        (if (i32.eq (i32.load offset=16 (global.get $BUF)) (i32.const 1))
          (then
            (local.set $entry (i32.const 68))
            (local.set $entry_len (i32.const 5))))))

    ;; Build the chain backwards: the last node points at main, each earlier
    ;; node at the one spawned just before it. With N = 1 main's next is main.
    (local.set $next (call $self))
    (local.set $i (i32.sub (local.get $n) (i32.const 1)))  ;; nodes left to spawn
    (block $spawned
      (loop $spawn_one
        (br_if $spawned (i32.eqz (local.get $i)))
        (i64.store (global.get $NODE_ARG) (local.get $next))
        (local.set $next
          (call $spawn (local.get $entry) (local.get $entry_len)
                       (global.get $NODE_ARG) (i32.const 8)))
        (if (i64.lt_s (local.get $next) (i64.const 0))
          (then
            (call $exit (global.get $REASON_CUSTOM) (i32.const 32) (i32.const 18))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $spawn_one)))
    ;; $next is now node 1 (or main itself when N = 1)

    ;; The token goes around `rounds` times; each trip is N hops.
    (block $rounds_done
      (loop $round_trip
        (br_if $rounds_done (i32.ge_u (local.get $round) (local.get $rounds)))
        (local.set $round (i32.add (local.get $round) (i32.const 1)))
        (i64.store (global.get $BUF) (i64.extend_i32_u (local.get $round)))
        (drop (call $send (local.get $next) (i64.const 1) (global.get $BUF) (i32.const 8)))
        (drop (call $receive_tag (i64.const 1)))
        (local.set $hops (i64.add (local.get $hops) (i64.extend_i32_u (local.get $n))))
        (br $round_trip)))

    ;; Shut the ring down: tag 0 goes around once, each node returns after
    ;; forwarding it, and it comes back to main.
    (drop (call $send (local.get $next) (i64.const 0) (i32.const 0) (i32.const 0)))
    (drop (call $receive_tag (i64.const 0)))

    ;; Report: tag 7, total hops as u64 LE.
    (i64.store (global.get $BUF) (local.get $hops))
    (drop (call $send (local.get $reporter) (i64.const 7) (global.get $BUF) (i32.const 8))))

  (func $node (export "node")
    (local $next i64)
    (local $tag i64)
    (local $len i32)
    ;; the pid to forward to, i64 LE
    (if (i32.ne (call $arg_read (global.get $NODE_ARG) (i32.const 8)) (i32.const 8))
      (then (unreachable)))
    (local.set $next (i64.load (global.get $NODE_ARG)))
    (loop $forward
      ;; any message, waiting forever: its tag and sender at HEADER, its
      ;; payload (as much as fits) at BUF
      (local.set $len
        (call $receive_into (i32.const 0) (i32.const 0) (i64.const -1)
                            (global.get $HEADER) (i32.add (global.get $BUF_LEN) (i32.const 16))))
      (if (i32.gt_u (local.get $len) (global.get $BUF_LEN))
        (then (local.set $len (global.get $BUF_LEN))))
      (local.set $tag (i64.load (global.get $HEADER)))
      (drop (call $send (local.get $next) (local.get $tag) (global.get $BUF) (local.get $len)))
      ;; tag 0 is the shutdown: forwarded, then the node ends normally
      (br_if $forward (i64.ne (local.get $tag) (i64.const 0)))))

  ;; Handler style: keep the next pid at NODE_ARG and wait for messages with
  ;; no call in flight; `relay` runs once per message.
  (func (export "hnode")
    (if (i32.ne (call $arg_read (global.get $NODE_ARG) (i32.const 8)) (i32.const 8))
      (then (unreachable)))
    (if (call $set_handler (i32.const 73) (i32.const 5))  ;; "relay"
      (then (unreachable))))

  ;; Forwards the message; 1 (end the process) after the tag 0 shutdown.
  (func (export "relay") (result i32)
    (local $tag i64)
    (local $len i32)
    (local.set $len (call $msg_read (i32.const 0) (global.get $BUF) (global.get $BUF_LEN)))
    (local.set $tag (call $msg_tag))
    (drop (call $send (i64.load (global.get $NODE_ARG)) (local.get $tag) (global.get $BUF) (local.get $len)))
    (i64.eqz (local.get $tag)))
)
