;; spawner.wat: spawns processes as fast as it can, then reports (used by the
;; `density` and `spawn` sections of benches/runtime.rs).
;;
;; Exports:
;;   memory  1 page
;;   main    () -> ()   calls spawn_module(module, entry, no argument) `count`
;;                      times in a loop, stopping at the first failure, then
;;                      sends one report and returns (a normal exit).
;;
;; main's spawn argument (at most 256 bytes):
;;   [reporter pid: i64 LE][count: u32 LE][module_len: u32 LE]
;;   [entry_len: u32 LE][module name bytes][entry name bytes]
;;
;; The report, tag 7 to the reporter, 24 bytes:
;;   [loop time in ns: u64 LE][spawned: u32 LE][unused: u32]
;;   [first error code: i64 LE, 0 if none]
;; The loop time comes from WASI clock_time_get (monotonic clock) read just
;; before and just after the loop: it covers the spawn calls only.
;;
;; Memory map:
;;     0  the spawn argument (256 bytes; names start at offset 20)
;;   256  clock_time_get's result (u64)
;;   264  the report (24 bytes)
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "warren_v1" "spawn_module"
    (func $spawn_module (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Monotonic clock, in ns (traps if the clock is unavailable).
  (func $now (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 256))
      (then (unreachable)))
    (i64.load (i32.const 256)))

  (func (export "main")
    (local $count i32)
    (local $module_len i32)
    (local $entry_len i32)
    (local $i i32)
    (local $pid i64)
    (local $error i64)
    (local $start i64)
    (drop (call $arg_read (i32.const 0) (i32.const 256)))
    (local.set $count (i32.load offset=8 (i32.const 0)))
    (local.set $module_len (i32.load offset=12 (i32.const 0)))
    (local.set $entry_len (i32.load offset=16 (i32.const 0)))
    (local.set $start (call $now))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $pid
          (call $spawn_module
            (i32.const 20) (local.get $module_len)
            (i32.add (i32.const 20) (local.get $module_len)) (local.get $entry_len)
            (i32.const 0) (i32.const 0)))
        (if (i64.lt_s (local.get $pid) (i64.const 0))
          (then
            (local.set $error (local.get $pid))
            (br $done)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.store (i32.const 264) (i64.sub (call $now) (local.get $start)))
    (i32.store (i32.const 272) (local.get $i))
    (i64.store (i32.const 280) (local.get $error))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 7) (i32.const 264) (i32.const 24))))
)
