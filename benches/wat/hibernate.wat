;; hibernate.wat: round trips to a handler-style process that hibernates
;; after every message (the `hibernate` section of benches/runtime.rs).
;;
;; Exports:
;;   memory  1 page
;;   ping    () -> ()   the timed pinger
;;   pong    () -> ()   entry of the echo process: handler style, and
;;                      hibernating if its argument says so
;;   echo    () -> i32  pong's handler
;;
;; ping's spawn argument, 16 bytes: [reporter pid: i64 LE][rounds: u32 LE]
;; [hibernate: u32 LE, 0 or 1]. ping spawns `pong` with the 4-byte argument
;; [hibernate], then does `rounds` round trips (send tag 1, wait for the
;; echo), stops pong (tag 9, echoed back) and sends the reporter tag 7.
;;
;; pong's handler echoes each message's tag to its sender with an empty
;; payload, asks to hibernate again if its flag is set, and ends after tag 9.
;;
;; Memory map: 0 spawn argument (16 bytes); 16 tag filter; 24 pong's
;; argument and flag (4 bytes); 32 "pong"; 40 "echo". No mutable global, so
;; the module may hibernate.
(module
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))

  (memory (export "memory") 1)

  (data (i32.const 32) "pong")
  (data (i32.const 40) "echo")

  ;; Waits (forever) for the oldest message with tag `tag`.
  (func $receive_tag (param $tag i64)
    (i64.store (i32.const 16) (local.get $tag))
    (drop (call $receive (i32.const 16) (i32.const 1) (i64.const -1))))

  (func (export "ping")
    (local $pong i64)
    (local $i i32)
    (if (i32.ne (call $arg_read (i32.const 0) (i32.const 16)) (i32.const 16))
      (then (unreachable)))
    (i32.store (i32.const 24) (i32.load (i32.const 12)))
    (local.set $pong (call $spawn (i32.const 32) (i32.const 4) (i32.const 24) (i32.const 4)))
    (if (i64.lt_s (local.get $pong) (i64.const 0))
      (then (unreachable)))
    (block $done
      (loop $round_trip
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (drop (call $send (local.get $pong) (i64.const 1) (i32.const 0) (i32.const 0)))
        (call $receive_tag (i64.const 1))
        (br $round_trip)))
    (drop (call $send (local.get $pong) (i64.const 9) (i32.const 0) (i32.const 0)))
    (call $receive_tag (i64.const 9))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 7) (i32.const 0) (i32.const 0))))

  ;; A refused set_handler or hibernate traps rather than skew the figures.
  (func $hibernate_if_asked
    (if (i32.load (i32.const 24))
      (then
        (if (call $hibernate)
          (then (unreachable))))))

  (func (export "pong")
    (if (i32.ne (call $arg_read (i32.const 24) (i32.const 4)) (i32.const 4))
      (then (unreachable)))
    (if (call $set_handler (i32.const 40) (i32.const 4))
      (then (unreachable)))
    (call $hibernate_if_asked))

  (func (export "echo") (result i32)
    (local $tag i64)
    (local.set $tag (call $msg_tag))
    (drop (call $send (call $msg_sender) (local.get $tag) (i32.const 0) (i32.const 0)))
    (call $hibernate_if_asked)
    (i64.eq (local.get $tag) (i64.const 9)))
)
