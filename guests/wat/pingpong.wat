;; pingpong.wat: round trips between two processes.
;;
;; Exports:
;;   memory  1 page
;;   main    () -> ()   the pinger
;;   pong    () -> ()   the echo process
;;
;; main's spawn argument, 12 bytes: [reporter pid: i64 LE][rounds: u32 LE].
;;
;; main spawns `pong` with its own pid (from `self`, i64 LE) as argument, then
;; does `rounds` round trips: send pong tag 1 with the round number (u32 LE,
;; from 1), wait for the echo (receive with tag filter [1]). Then it stops
;; pong: it sends tag 0 (empty payload) and waits for its echo. Finally it
;; sends the reporter tag 7 with payload = rounds as u32 LE, and returns.
;;
;; pong takes each message with one receive_into call and echoes it back to
;; its sender with the same tag and payload (payloads longer than 65,280
;; bytes are cut to that length).
;; After echoing a tag 0 message it returns (a normal exit); other tags it
;; echoes forever.
;;
;; If the spawn fails, main exits with REASON_CUSTOM and the detail
;; "pingpong: spawn failed" (and never reports).
;;
;; Memory map:
;;     0  main's spawn argument (12 bytes)
;;    16  tag filter for receive (one i64)
;;    24  pong's spawn argument (i64 pid)
;;    32  "pong" (4 bytes), 40: "pingpong: spawn failed" (22 bytes)
;;   240  pong's receive_into buffer: the tag and sender of the message
;;   256  message buffer, up to the end of the page (65,280 bytes)
(module
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  ;; receive_into(tags_ptr, tags_count, timeout_ms, buf_ptr, buf_len) -> length
  (import "warren_v1" "receive_into" (func $receive_into (param i32 i32 i64 i32 i32) (result i32)))

  (memory (export "memory") 1)

  (global $ARG i32 (i32.const 0))
  (global $TAG_FILTER i32 (i32.const 16))
  (global $PONG_ARG i32 (i32.const 24))
  (global $HEADER i32 (i32.const 240))
  (global $BUF i32 (i32.const 256))
  (global $BUF_LEN i32 (i32.const 65280))  ;; 65536 - 256

  (global $REASON_CUSTOM i32 (i32.const 2))

  (data (i32.const 32) "pong")                    ;; 4 bytes
  (data (i32.const 40) "pingpong: spawn failed")  ;; 22 bytes

  ;; Waits (forever) for the oldest message with tag `tag`; returns its length.
  (func $receive_tag (param $tag i64) (result i32)
    (i64.store (global.get $TAG_FILTER) (local.get $tag))
    (call $receive (global.get $TAG_FILTER) (i32.const 1) (i64.const -1)))

  (func $main (export "main")
    (local $reporter i64)
    (local $rounds i32)
    (local $pong i64)
    (local $i i32)

    ;; the argument: [reporter: i64][rounds: u32]
    (if (i32.ne (call $arg_read (global.get $ARG) (i32.const 12)) (i32.const 12))
      (then (unreachable)))
    (local.set $reporter (i64.load (global.get $ARG)))
    (local.set $rounds (i32.load offset=8 (global.get $ARG)))

    ;; spawn pong, telling it our pid
    (i64.store (global.get $PONG_ARG) (call $self))
    (local.set $pong
      (call $spawn (i32.const 32) (i32.const 4)  ;; "pong"
                   (global.get $PONG_ARG) (i32.const 8)))
    (if (i64.lt_s (local.get $pong) (i64.const 0))
      (then (call $exit (global.get $REASON_CUSTOM) (i32.const 40) (i32.const 22))))

    ;; `rounds` round trips
    (block $done
      (loop $round_trip
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (global.get $BUF) (local.get $i))
        (drop (call $send (local.get $pong) (i64.const 1) (global.get $BUF) (i32.const 4)))
        (drop (call $receive_tag (i64.const 1)))
        (br $round_trip)))

    ;; stop pong: tag 0 is echoed once more, then pong returns
    (drop (call $send (local.get $pong) (i64.const 0) (i32.const 0) (i32.const 0)))
    (drop (call $receive_tag (i64.const 0)))

    ;; report: tag 7, rounds as u32 LE
    (i32.store (global.get $BUF) (local.get $rounds))
    (drop (call $send (local.get $reporter) (i64.const 7) (global.get $BUF) (i32.const 4))))

  (func $pong (export "pong")
    (local $tag i64)
    (local $len i32)
    (loop $echo
      ;; any message, waiting forever: its tag and sender land at 240, its
      ;; payload at 256 ($BUF)
      (local.set $len
        (call $receive_into (i32.const 0) (i32.const 0) (i64.const -1)
                            (global.get $HEADER) (i32.add (global.get $BUF_LEN) (i32.const 16))))
      ;; (it cannot fail: no tags, no timeout, a buffer inside memory)
      (if (i32.lt_s (local.get $len) (i32.const 0))
        (then (unreachable)))
      (if (i32.gt_u (local.get $len) (global.get $BUF_LEN))
        (then (local.set $len (global.get $BUF_LEN))))
      (local.set $tag (i64.load (global.get $HEADER)))
      (drop (call $send (i64.load offset=8 (global.get $HEADER)) (local.get $tag)
                        (global.get $BUF) (local.get $len)))
      ;; tag 0: echoed, then pong ends normally
      (br_if $echo (i64.ne (local.get $tag) (i64.const 0)))))
)
