;; {{name}}: a Warren guest in WebAssembly text. `main` spawns a greeter (a
;; process of this same module), calls it, prints its reply and returns;
;; the run ends with it, exit code 0. No build step: `warren run` compiles
;; .wat files itself. docs/ABI.md is the whole contract.
(module
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "call" (func $call (param i64 i32 i32 i64) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "register" (func $register (param i32 i32 i64) (result i32)))
  ;; WASI's fd_write, which Warren gives every process: fd 1 is the node's stdout.
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; Memory map:
  ;;   0    "greeter" (the export to spawn, 7 bytes)
  ;;   16   "world" (the request, 5 bytes)
  ;;   32   the tag filter of the greeter's receive: [TAG_CALL = -105] as an i64
  ;;   48   an iovec for fd_write [ptr, len], then the count it writes
  ;;   64   error texts
  ;;   256  the line main prints: the prefix, the reply, "\"\n"
  ;;   1024 the greeter's buffer: [token: i64][request], then its answer at 2048
  (data (i32.const 0) "greeter")
  (data (i32.const 16) "world")
  (data (i32.const 32) "\97\ff\ff\ff\ff\ff\ff\ff")
  (data (i32.const 64) "the greeter did not start")          ;; 25 bytes
  (data (i32.const 96) "the greeter did not answer")         ;; 26 bytes
  (data (i32.const 256) "{{name}}: the greeter replied \22")
  (data (i32.const 2048) "Hello, ")

  (global $prefix_len i32 (i32.const {{wat_prefix_len}}))
  (global $REASON_CUSTOM i32 (i32.const 2))

  ;; The root process: `warren run` starts it.
  (func (export "main")
    (local $greeter i64)
    (local $len i32)
    (local $end i32)
    ;; spawn(entry "greeter", no argument)
    (local.set $greeter (call $spawn (i32.const 0) (i32.const 7) (i32.const 0) (i32.const 0)))
    (if (i64.lt_s (local.get $greeter) (i64.const 0))
      (then (call $exit (global.get $REASON_CUSTOM) (i32.const 64) (i32.const 25))))
    ;; registered as "greeter", so `warren info`, `trace`... name it
    (drop (call $register (i32.const 0) (i32.const 7) (local.get $greeter)))
    ;; call(greeter, "world", 5000 ms): the reply is the current message
    (local.set $len (call $call (local.get $greeter) (i32.const 16) (i32.const 5) (i64.const 5000)))
    (if (i32.or (i32.lt_s (local.get $len) (i32.const 0)) (i32.gt_s (local.get $len) (i32.const 512)))
      (then (call $exit (global.get $REASON_CUSTOM) (i32.const 96) (i32.const 26))))
    ;; the line: prefix, reply, "\"\n"
    (local.set $end (i32.add (i32.const 256) (global.get $prefix_len)))
    (drop (call $msg_read (i32.const 0) (local.get $end) (local.get $len)))
    (local.set $end (i32.add (local.get $end) (local.get $len)))
    (i32.store16 (local.get $end) (i32.const 0x0a22)) ;; '"' then '\n'
    (local.set $end (i32.add (local.get $end) (i32.const 2)))
    (i32.store (i32.const 48) (i32.const 256))
    (i32.store (i32.const 52) (i32.sub (local.get $end) (i32.const 256)))
    (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 56))))

  ;; The greeter: answers each call NAME with "Hello, NAME!". Blocking
  ;; style: it runs until the node stops.
  (func (export "greeter")
    (local $len i32)
    (loop $serve
      ;; wait for a call: [token: i64][request]
      (local.set $len (call $receive (i32.const 32) (i32.const 1) (i64.const -1)))
      (if (i32.and (i32.ge_s (local.get $len) (i32.const 8)) (i32.le_s (local.get $len) (i32.const 1000)))
        (then
          (drop (call $msg_read (i32.const 0) (i32.const 1024) (local.get $len)))
          ;; the answer: "Hello, " (at 2048), the request, "!"
          (memory.copy (i32.const 2055) (i32.const 1032) (i32.sub (local.get $len) (i32.const 8)))
          (i32.store8 (i32.add (i32.const 2047) (local.get $len)) (i32.const 0x21))
          (drop (call $reply (call $msg_sender) (i64.load (i32.const 1024))
            (i32.const 2048) (local.get $len)))))
      (br $serve))))
