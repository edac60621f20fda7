;; selective.wat: round trips by a pinger whose every receive looks past
;; messages it does not want (a selective receive, as Erlang's).
;;
;; main's spawn argument, 16 bytes: [reporter pid: i64 LE][rounds: u32 LE]
;; [queued: u32 LE]. main spawns `pong`, sends itself `queued` messages with
;; tag 3 (which it never takes), then does `rounds` round trips with pong:
;; send tag 1, wait for the echo with tag filter [1], so that every receive
;; looks past the `queued` messages first. Then it sends the reporter tag 7
;; with payload = rounds (u32 LE) and returns, after stopping pong (tag 0,
;; which pong echoes before it returns).
(module
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))

  (memory (export "memory") 1)
  (data (i32.const 32) "pong")

  ;; Memory: 0 the argument; 16 the tag filter; 24 scratch payload (u32).
  (func $receive_tag (param $tag i64)
    (i64.store (i32.const 16) (local.get $tag))
    (if (i32.lt_s (call $receive (i32.const 16) (i32.const 1) (i64.const -1)) (i32.const 0))
      (then unreachable)))

  (func (export "main")
    (local $reporter i64) (local $rounds i32) (local $queued i32) (local $pong i64) (local $i i32)
    (if (i32.ne (call $arg_read (i32.const 0) (i32.const 16)) (i32.const 16)) (then unreachable))
    (local.set $reporter (i64.load (i32.const 0)))
    (local.set $rounds (i32.load (i32.const 8)))
    (local.set $queued (i32.load (i32.const 12)))
    (local.set $pong (call $spawn (i32.const 32) (i32.const 4) (i32.const 0) (i32.const 0)))
    (if (i64.le_s (local.get $pong) (i64.const 0)) (then unreachable))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $queued)))
        (drop (call $send (call $self) (i64.const 3) (i32.const 0) (i32.const 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (drop (call $send (local.get $pong) (i64.const 1) (i32.const 0) (i32.const 0)))
        (call $receive_tag (i64.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round)))
    (drop (call $send (local.get $pong) (i64.const 0) (i32.const 0) (i32.const 0)))
    (call $receive_tag (i64.const 0))
    (i32.store (i32.const 24) (local.get $rounds))
    (drop (call $send (local.get $reporter) (i64.const 7) (i32.const 24) (i32.const 4))))

  ;; Echoes each message's tag (empty payload) to its sender; returns after
  ;; echoing tag 0.
  (func (export "pong")
    (local $tag i64)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $tag (call $msg_tag))
      (drop (call $send (call $msg_sender) (local.get $tag) (i32.const 0) (i32.const 0)))
      (br_if $next (i64.ne (local.get $tag) (i64.const 0))))))
