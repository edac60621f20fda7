;; minimal.wat: the smallest useful Warren guest, for density and spawn
;; benchmarks. It has one 64 KiB page of memory and no data segment: a
;; blocking process never touches its memory (so none of it is resident),
;; and only `idle` writes there (the handler's name).
;;
;; Exports:
;;   memory  1 page (minimum and maximum)
;;   main    () -> ()   blocking style: receive(any message, wait forever) in a
;;                      loop, forever. Each idle process keeps a suspended
;;                      fiber stack while it waits.
;;   idle    () -> ()   handler style: set_handler("noop") and return. The
;;                      process stays alive with no call in flight (no stack),
;;                      and the host calls `noop` for each message.
;;   sleep   () -> ()   as `idle`, then asks to hibernate: between messages
;;                      the process keeps no instance at all, only its
;;                      compacted memory (see `hibernate` in docs/ABI.md)
;;   noop    () -> i32  the handler: does nothing, returns 0 (stay alive).
;;                      Spawned directly, the process starts handler-style
;;                      having run no code (none of its memory is resident).
;;   quick   () -> ()   returns at once: the process ends normally (for
;;                      spawn+exit benchmarks)
;;
;; It never sends anything.
(module
  ;; receive(tags_ptr, tags_count, timeout_ms) -> message length or error
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  ;; set_handler(name_ptr, name_len) -> OK (0) or ERR_NO_SUCH_EXPORT
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  ;; hibernate() -> OK (0) or ERR_CANNOT_HIBERNATE
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))

  (memory (export "memory") 1 1)

  ;; Blocking style: wait for any message (tags_count 0), forever (timeout
  ;; -1), drop it, wait again.
  (func (export "main")
    (loop $forever
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (br $forever)))

  ;; Handler style: register "noop" and return. A failed set_handler would
  ;; otherwise end the process normally and skew a benchmark silently, so it
  ;; traps instead.
  ;; The handler's name is stored at offset 0 here rather than by a data
  ;; segment, which would touch every process's memory at instantiation.
  (func $idle_export (export "idle")
    (i32.store (i32.const 0) (i32.const 0x706f6f6e))  ;; "noop", little-endian
    (if (call $set_handler (i32.const 0) (i32.const 4))
      (then (unreachable))))

  ;; Handler style, hibernating: as `idle`, then hibernate once `sleep`
  ;; returns (a refusal traps, for the same reason as above).
  (func (export "sleep")
    (call $idle_export)
    (if (call $hibernate)
      (then (unreachable))))

  ;; The handler: 0 keeps the process alive.
  (func (export "noop") (result i32)
    (i32.const 0))

  ;; Returns immediately: a normal exit.
  (func (export "quick"))
)
