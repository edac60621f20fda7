;; fair.wat: timed round trips and timed busy work (used by the `fairness`
;; section of benches/runtime.rs).
;;
;; Exports:
;;   memory  8 pages (512 KiB: up to 65,408 samples)
;;   ping    () -> ()   the timed pinger
;;   pong    () -> ()   the echo process
;;   work    () -> ()   a fixed amount of busy work, timed
;;
;; ping's spawn argument, 12 bytes: [reporter pid: i64 LE][rounds: u32 LE]
;; (rounds at most 65,408). ping spawns `pong`, then does `rounds` round
;; trips: read the monotonic clock (WASI clock_time_get), send pong tag 1
;; with the round number (u32 LE), receive with tag filter [1], read the
;; clock again, store the difference (u64 LE ns) in the sample array. Then it
;; stops pong (tag 0, echoed back), sends the reporter tag 7 with the whole
;; sample array (rounds * 8 bytes, u64 LE each, in round order), and returns.
;;
;; pong echoes every message to its sender with the same tag and an empty
;; payload; after echoing tag 0 it returns.
;;
;; work's spawn argument, 16 bytes: [reporter pid: i64 LE][iterations: u64 LE].
;; It runs busy.wat's loop body `iterations` times, sends the reporter tag 7
;; with [elapsed ns: u64 LE][checksum: u64 LE], then waits in receive
;; forever (so the host can read its reductions with `Node::reductions`; a
;; process records them when it starts to wait).
;;
;; Memory map:
;;     0  spawn argument (16 bytes)
;;    16  tag filter (one i64)
;;    24  pong's spawn argument (i64 pid)
;;    32  "pong" (4 bytes)
;;    40  clock_time_get result (u64)
;;    48  message buffer (16 bytes)
;;  1024  the samples (u64 each)
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))

  (memory (export "memory") 8)

  (data (i32.const 32) "pong")

  ;; Monotonic clock, in ns (traps if the clock is unavailable).
  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 40))
      (then (unreachable)))
    (i64.load (i32.const 40)))

  ;; Waits (forever) for the oldest message with tag `tag`.
  (func $receive_tag (param $tag i64)
    (i64.store (i32.const 16) (local.get $tag))
    (drop (call $receive (i32.const 16) (i32.const 1) (i64.const -1))))

  (func (export "ping")
    (local $rounds i32)
    (local $pong i64)
    (local $i i32)
    (local $start i64)
    (if (i32.ne (call $arg_read (i32.const 0) (i32.const 12)) (i32.const 12))
      (then (unreachable)))
    (local.set $rounds (i32.load offset=8 (i32.const 0)))
    (if (i32.gt_u (local.get $rounds) (i32.const 65408))
      (then (unreachable)))
    (i64.store (i32.const 24) (call $self))
    (local.set $pong (call $spawn (i32.const 32) (i32.const 4) (i32.const 24) (i32.const 8)))
    (if (i64.lt_s (local.get $pong) (i64.const 0))
      (then (unreachable)))
    (block $done
      (loop $round_trip
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (local.set $start (call $now))
        (i32.store (i32.const 48) (local.get $i))
        (drop (call $send (local.get $pong) (i64.const 1) (i32.const 48) (i32.const 4)))
        (call $receive_tag (i64.const 1))
        (i64.store
          (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 3)))
          (i64.sub (call $now) (local.get $start)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round_trip)))
    (drop (call $send (local.get $pong) (i64.const 0) (i32.const 0) (i32.const 0)))
    (call $receive_tag (i64.const 0))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 7)
      (i32.const 1024) (i32.shl (local.get $rounds) (i32.const 3)))))

  (func (export "pong")
    (local $tag i64)
    (loop $echo
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $tag (call $msg_tag))
      (drop (call $send (call $msg_sender) (local.get $tag) (i32.const 0) (i32.const 0)))
      (br_if $echo (i64.ne (local.get $tag) (i64.const 0)))))

  (func (export "work")
    (local $n i64)
    (local $x i32)
    (local $sum i64)
    (local $start i64)
    (if (i32.ne (call $arg_read (i32.const 0) (i32.const 16)) (i32.const 16))
      (then (unreachable)))
    (local.set $n (i64.load offset=8 (i32.const 0)))
    (local.set $x (i32.const 1))
    (local.set $start (call $now))
    (block $done
      (loop $step
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $x
          (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $x))))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $step)))
    (i64.store (i32.const 48) (i64.sub (call $now) (local.get $start)))
    (i64.store (i32.const 56) (local.get $sum))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 7) (i32.const 48) (i32.const 16)))
    (loop $wait
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (br $wait)))
)
