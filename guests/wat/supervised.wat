;; Warren built-in demo, part 2: supervision (src/supervision_demo.rs runs it).
;;
;; The host starts a supervisor (one_for_one) with one child, a worker on
;; export "doubler"; the worker serves requests until a bad message makes it
;; crash, and the supervisor starts a new one in its place. A "watcher"
;; process monitors the worker so the host can say why it ended.
;;
;; Messages (payloads little-endian):
;;   doubler -> host   tag 10, empty: "I am up" (each new worker sends it)
;;   host -> doubler   tag 1, [x: u32]: a request; the reply to its sender is
;;                     tag 2, [2x: u32]. A message shorter than 4 bytes is a
;;                     bad message: the worker executes `unreachable`.
;;   watcher -> host   tag 11, empty: "I am watching"; then tag 12 with the
;;                     DOWN message's payload: [ref: i64][pid: i64]
;;                     [reason kind: i32][detail...] (docs/ABI.md, "Messages
;;                     made by the host").
;;
;; Memory map: 0 the host's pid (i64), 8 the watched worker's pid (i64),
;; 16 a tag filter (one i64), 32 the name "doubler", 64.. a message buffer
;; (4 KiB).

(module
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "register" (func $register (param i32 i32 i64) (result i32)))
  (import "warren_v1" "monitor" (func $monitor (param i64) (result i64)))

  (memory (export "memory") 1)
  (data (i32.const 32) "doubler")

  ;; The worker. Spawn argument: the host's pid (i64).
  (func (export "doubler")
    (local $len i32)
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    ;; Take the name "doubler": whoever asks for "doubler" reaches the worker
    ;; that runs now, the first one or the one started in its place.
    (if (i32.ne (call $register (i32.const 32) (i32.const 7) (call $self)) (i32.const 0))
      (then unreachable))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 10) (i32.const 0) (i32.const 0)))
    (loop $serve
      (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      ;; No number in it: a message the worker does not handle. It does not
      ;; defend itself, it crashes ("let it crash"): its supervisor restarts it.
      (if (i32.lt_s (local.get $len) (i32.const 4))
        (then unreachable))
      (drop (call $msg_read (i32.const 0) (i32.const 64) (i32.const 4)))
      (i32.store (i32.const 64) (i32.mul (i32.load (i32.const 64)) (i32.const 2)))
      (drop (call $send (call $msg_sender) (i64.const 2) (i32.const 64) (i32.const 4)))
      (br $serve)))

  ;; The watcher. Spawn argument: the host's pid, then the worker's (i64s).
  ;; Monitors the worker, says so, and forwards the DOWN message it gets.
  (func (export "watcher")
    (local $len i32)
    (drop (call $arg_read (i32.const 0) (i32.const 16)))
    (drop (call $monitor (i64.load (i32.const 8))))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 11) (i32.const 0) (i32.const 0)))
    ;; wait for TAG_DOWN (-101) only
    (i64.store (i32.const 16) (i64.const -101))
    (local.set $len (call $receive (i32.const 16) (i32.const 1) (i64.const -1)))
    (if (i32.gt_u (local.get $len) (i32.const 4096))
      (then (local.set $len (i32.const 4096))))
    (drop (call $msg_read (i32.const 0) (i32.const 64) (local.get $len)))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 12) (i32.const 64) (local.get $len)))))
