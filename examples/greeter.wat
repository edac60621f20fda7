;; examples/greeter.wat: a greeting service. It registers as "greeter"
;; and tells its supervisor it is ready (init_ack); its
;; spawn argument is its greeting ("Hello"). A message with tag 1 carries a
;; name; the reply to the sender (tag 2) is "<greeting>, <name>!". It traps
;; exits and stops on its supervisor's `shutdown`, saying so.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "register" (func $register (param i32 i32 i64) (result i32)))
  (import "warren_v1" "trap_exit" (func $trap_exit (param i32) (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "init_ack" (func $init_ack (result i32)))
  (memory (export "memory") 1)

  ;; 0: fd_write's iovec, 8: its result; strings from 64 (NUL-terminated);
  ;; the reply is built at 1024: the greeting, ", ", the name, "!".
  (data (i32.const 64) "greeter\00")
  (data (i32.const 80) "greeter: up, registered as \22greeter\22\0a\00")
  (data (i32.const 128) "greeter: got the exit signal shutdown from my supervisor, stopping\0a\00")

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
    (local $greeting i32)
    (local $len i32)
    (drop (call $trap_exit (i32.const 1)))
    (local.set $greeting (call $arg_read (i32.const 1024) (i32.const 256)))
    ;; ", " after the greeting
    (i32.store16 (i32.add (i32.const 1024) (local.get $greeting)) (i32.const 0x202c))
    (drop (call $register (i32.const 64) (i32.const 7) (call $self)))
    (call $puts (i32.const 80))
    ;; Ready: its supervisor, which waits for this (ack_timeout in
    ;; app.toml), starts the next child only now, so the name is there
    ;; for the children started after it.
    (drop (call $init_ack))
    (loop $serve
      (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i64.eq (call $msg_tag) (i64.const -100))
        (then
          (call $puts (i32.const 128))
          (call $exit (i32.const 1) (i32.const 0) (i32.const 0))))
      (if (i32.gt_u (local.get $len) (i32.const 256))
        (then (local.set $len (i32.const 256))))
      ;; the name after "<greeting>, ", then "!"
      (drop (call $msg_read (i32.const 0)
        (i32.add (i32.const 1026) (local.get $greeting)) (local.get $len)))
      (i32.store8 (i32.add (i32.add (i32.const 1026) (local.get $greeting)) (local.get $len)) (i32.const 33))
      (drop (call $send (call $msg_sender) (i64.const 2) (i32.const 1024)
        (i32.add (i32.add (local.get $greeting) (local.get $len)) (i32.const 3))))
      (br $serve)))
)
