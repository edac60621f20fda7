;; examples/client.wat: uses the two services and ends. It asks "greeter"
;; to greet "world", and "store" to count three times, printing the
;; answers, then returns: a normal exit. In examples/app.toml it is a
;; `transient`, `significant` child of a supervisor with
;; auto_shutdown = "any_significant": its end stops the whole tree.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "send_named" (func $send_named (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; 0: fd_write's iovec, 8: its result, 16: a tag filter [2]; strings from
  ;; 64 (NUL-terminated); replies are read to 1024.
  (data (i32.const 16) "\02\00\00\00\00\00\00\00")
  (data (i32.const 64) "greeter\00")
  (data (i32.const 72) "store\00")
  (data (i32.const 80) "world\00")
  (data (i32.const 96) "client: asking \22greeter\22 to greet \22world\22\0a\00")
  (data (i32.const 160) "client: greeter answered: \00")
  (data (i32.const 192) "client: asking \22store\22 to count three times\0a\00")
  (data (i32.const 240) "client: store's count is now \00")
  (data (i32.const 272) "client: done. I am significant: my end ends the application\0a\00")
  (data (i32.const 336) "\0a\00")

  (func $puts (param $ptr i32)
    (local $end i32)
    (local.set $end (local.get $ptr))
    (loop $scan
      (if (i32.load8_u (local.get $end))
        (then
          (local.set $end (i32.add (local.get $end) (i32.const 1)))
          (br $scan))))
    (call $write (local.get $ptr) (i32.sub (local.get $end) (local.get $ptr))))

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Sends a tag 1 request to the process registered as the name at
  ;; $name ($name_len bytes) and waits for its tag 2 reply, read to 1024;
  ;; returns its length. The services registered their names before their
  ;; supervisors went on to start the client (they acknowledged their
  ;; start), so a name that is not there is a bug: the client traps.
  (func $call (param $name i32) (param $name_len i32) (param $ptr i32) (param $len i32) (result i32)
    (if (call $send_named (local.get $name) (local.get $name_len) (i64.const 1) (local.get $ptr) (local.get $len))
      (then unreachable))
    (drop (call $receive (i32.const 16) (i32.const 1) (i64.const -1)))
    (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 1024)))

  (func (export "main")
    (local $len i32)
    (local $round i32)
    (call $puts (i32.const 96))
    (local.set $len (call $call (i32.const 64) (i32.const 7) (i32.const 80) (i32.const 5)))
    (call $puts (i32.const 160))
    (call $write (i32.const 1024) (local.get $len))
    (call $puts (i32.const 336))
    (call $puts (i32.const 192))
    (loop $count
      (drop (call $call (i32.const 72) (i32.const 5) (i32.const 0) (i32.const 0)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $count (i32.lt_u (local.get $round) (i32.const 3))))
    (call $puts (i32.const 240))
    ;; the count (under 10 here) as one digit, and a newline
    (i32.store8 (i32.const 1024) (i32.add (i32.const 48) (i32.load (i32.const 1024))))
    (i32.store8 (i32.const 1025) (i32.const 10))
    (call $write (i32.const 1024) (i32.const 2))
    (call $puts (i32.const 272)))
)
