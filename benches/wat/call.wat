;; call.wat: call round trips between a caller and a server (the `call` and
;; `reply` host functions: gen_server:call's semantics).
;;
;; main's spawn argument, 12 bytes: [reporter pid: i64 LE][rounds: u32 LE].
;; main spawns `server`, makes `rounds` calls to it with a 4-byte request
;; (the round number) and no timeout, checks each reply's length, stops the
;; server (a plain message, tag 0) and reports to the reporter: tag 7,
;; payload = rounds as u32 LE.
;;
;; server takes each message with one receive_into; a TAG_CALL request
;; ([token: i64][request]) is answered with the request's bytes; tag 0 ends
;; it.
;;
;; Memory map: 0 main's argument; 16 the request; 32 "server"; 240 the
;; server's receive_into buffer (tag, sender, then the payload at 256).
(module
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive_into" (func $receive_into (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "call" (func $call (param i64 i32 i32 i64) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "server")

  (func (export "main")
    (local $rounds i32) (local $server i64) (local $i i32)
    (if (i32.ne (call $arg_read (i32.const 0) (i32.const 12)) (i32.const 12)) (then unreachable))
    (local.set $rounds (i32.load (i32.const 8)))
    (local.set $server (call $spawn (i32.const 32) (i32.const 6) (i32.const 0) (i32.const 0)))
    (if (i64.le_s (local.get $server) (i64.const 0)) (then unreachable))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.store (i32.const 16) (local.get $i))
        (if (i32.ne (call $call (local.get $server) (i32.const 16) (i32.const 4) (i64.const -1)) (i32.const 4))
          (then unreachable))
        (br $round)))
    (drop (call $send (local.get $server) (i64.const 0) (i32.const 0) (i32.const 0)))
    (i32.store (i32.const 16) (local.get $rounds))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 7) (i32.const 16) (i32.const 4))))

  (func (export "server")
    (local $len i32) (local $tag i64)
    (loop $next
      (local.set $len (call $receive_into (i32.const 0) (i32.const 0) (i64.const -1) (i32.const 240) (i32.const 1024)))
      (local.set $tag (i64.load (i32.const 240)))
      (if (i64.eq (local.get $tag) (i64.const -105))
        (then (drop (call $reply (i64.load (i32.const 248)) (i64.load (i32.const 256))
                      (i32.const 264) (i32.sub (local.get $len) (i32.const 8))))))
      (br_if $next (i64.ne (local.get $tag) (i64.const 0)))))
)
