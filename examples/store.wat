;; examples/store.wat: a counter service. It registers as "store" and
;; tells its supervisor it is ready (init_ack); then each
;; message with tag 1 adds one to its count, and the reply to the sender
;; (tag 2) is the new count (u32, little-endian). It traps exits, so the
;; exit signal `shutdown` its supervisor sends to stop it arrives as a
;; message (TAG_EXIT): it says so, and exits with reason `shutdown`.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "register" (func $register (param i32 i32 i64) (result i32)))
  (import "warren_v1" "trap_exit" (func $trap_exit (param i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "init_ack" (func $init_ack (result i32)))
  (memory (export "memory") 1)

  ;; 0: fd_write's iovec, 8: its result, 16: the reply; strings from 64,
  ;; each ending with a NUL byte.
  (data (i32.const 64) "store\00")
  (data (i32.const 80) "store: up, registered as \22store\22\0a\00")
  (data (i32.const 128) "store: got the exit signal shutdown from my supervisor, stopping\0a\00")

  ;; Prints the NUL-terminated string at $ptr on stdout.
  (func $puts (param $ptr i32)
    (local $end i32)
    (local.set $end (local.get $ptr))
    (loop $scan
      (if (i32.load8_u (local.get $end))
        (then
          (local.set $end (i32.add (local.get $end) (i32.const 1)))
          (br $scan))))
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (i32.sub (local.get $end) (local.get $ptr)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "main")
    (local $count i32)
    (drop (call $trap_exit (i32.const 1)))
    (drop (call $register (i32.const 64) (i32.const 5) (call $self)))
    (call $puts (i32.const 80))
    ;; Ready: its supervisor, which waits for this (ack_timeout in
    ;; app.toml), starts the next child only now, so the name is there
    ;; for the children started after it.
    (drop (call $init_ack))
    (loop $serve
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      ;; TAG_EXIT (-100): the only exit signal it gets is its supervisor's
      (if (i64.eq (call $msg_tag) (i64.const -100))
        (then
          (call $puts (i32.const 128))
          (call $exit (i32.const 1) (i32.const 0) (i32.const 0))))  ;; REASON_SHUTDOWN
      (local.set $count (i32.add (local.get $count) (i32.const 1)))
      (i32.store (i32.const 16) (local.get $count))
      (drop (call $send (call $msg_sender) (i64.const 2) (i32.const 16) (i32.const 4)))
      (br $serve)))
)
