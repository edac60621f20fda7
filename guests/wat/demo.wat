;; Warren built-in demo: what `warren` runs when it is given no arguments.
;;
;; It is a tour of the guest ABI (docs/ABI.md) for a newcomer. Every step is
;; printed on stdout as one plain sentence, through the WASI call `fd_write`
;; on fd 1. Each line starts with the name of the process that prints it
;; ("main:" or "crasher:"), and the output is deterministic: whenever another
;; process prints or replies, main waits for it with a selective receive.
;;
;; The story:
;;   1. main starts and says hello.
;;   2. main spawns 3 processes on export "worker"; each gets its number
;;      (1, 2, 3) as its spawn argument: 4 bytes, little-endian.
;;   3. main sends worker n the number 10*n (tag 1, payload u32 LE). Worker n
;;      squares it and replies to the sender with tag 10+n and the payload
;;      [n: u32 LE][number: u32 LE][square: u32 LE].
;;   4. main receives the replies selectively, tag 11, then 12, then 13, so
;;      they are printed in the same order whichever worker finishes first.
;;   5. Selective receive: main sends itself tag 5, then tag 6, receives tag 6
;;      first with a tag filter, then tag 5.
;;   6. A receive with a 50 ms timeout that nothing satisfies returns
;;      ERR_TIMEOUT (-6).
;;   7. main spawns a process on export "crasher" (argument: main's pid,
;;      8 bytes LE). The crasher prints a line, tells main (tag 20, empty
;;      payload), and executes `unreachable`: it traps and ends, but only it
;;      does: main keeps running.
;;   8. main prints its last line and returns from `main`: a normal exit.
;;
;; Expected stdout (the host may report the crasher's trap on its own log):
;;   main: hello! I am the main process and I have just started.
;;   main: I spawn 3 workers on export "worker", passing each its number (1 to 3) as its spawn argument.
;;   main: spawned worker 1
;;   main: spawned worker 2
;;   main: spawned worker 3
;;   main: sent worker 1 the number 10 (tag 1)
;;   main: sent worker 2 the number 20 (tag 1)
;;   main: sent worker 3 the number 30 (tag 1)
;;   main: now I collect the replies in a fixed order: tag 11 from worker 1, then tag 12, then tag 13.
;;   main: worker 1 says 10 squared is 100
;;   main: worker 2 says 20 squared is 400
;;   main: worker 3 says 30 squared is 900
;;   main: selective receive: I send myself a message with tag 5, then one with tag 6.
;;   main: receive with tag filter [6] gives me tag 6: "I was sent second", although tag 5 is older
;;   main: then receive with tag filter [5] gives me tag 5: "I was sent first", which was waiting in the mailbox
;;   main: now I wait at most 50 ms for a message that nobody sends.
;;   main: no message within 50 ms, the receive timed out
;;   main: I spawn a process on export "crasher"; it will execute `unreachable` and trap.
;;   crasher: I am about to execute `unreachable`, goodbye!
;;   main: the crasher trapped. A crash ends only that process: main keeps running.
;;   main: done, exiting normally
;;
;; Memory map (one 64 KiB page; every process has its own fresh instance, so
;; each process has its own copy of these buffers):
;;      0  iovec for fd_write: [buf ptr: i32][buf len: i32]
;;      8  fd_write's "bytes written" result (i32)
;;     16  tag filter for receive: one i64 tag
;;     24  spawn argument buffer (up to 8 bytes)
;;     32  worker pids: i64 at 32 + 8*n for n = 1..3
;;     64  message buffer (64 bytes)
;;    128  number formatting scratch (16 bytes, digits end at 144)
;;    256  the line being built (256 bytes: up to 255 characters + "\n")
;;   1024  constant strings (the data section at the end)

(module
  ;; ---------------------------------------------------------------- imports
  ;; WASI preview 1: fd_write(fd, iovs, iovs_len, nwritten_ptr) -> errno
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  ;; Warren ABI v1 (docs/ABI.md). Pids and tags are i64; pointers/lengths i32.
  (import "warren_v1" "self" (func $self (result i64)))
  ;; spawn(entry_ptr, entry_len, arg_ptr, arg_len) -> pid (> 0) or error (< 0)
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  ;; arg_read(dst_ptr, dst_len) -> bytes copied
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  ;; send(pid, tag, ptr, len) -> OK (0) or error
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  ;; receive(tags_ptr, tags_count, timeout_ms) -> message length or error
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  ;; the current message (the one the last receive returned)
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  ;; msg_read(offset, dst_ptr, dst_len) -> bytes copied
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))

  ;; ----------------------------------------------------------------- memory
  (memory (export "memory") 1)

  ;; Addresses of the scratch areas (see the memory map above).
  (global $IOV i32 (i32.const 0))
  (global $NWRITTEN i32 (i32.const 8))
  (global $TAG_FILTER i32 (i32.const 16))
  (global $ARG_BUF i32 (i32.const 24))
  (global $PIDS i32 (i32.const 32))
  (global $MSG_BUF i32 (i32.const 64))
  (global $MSG_BUF_LEN i32 (i32.const 64))
  (global $NUM_END i32 (i32.const 144))
  (global $LINE i32 (i32.const 256))
  (global $LINE_CAP i32 (i32.const 255))

  ;; ABI constants used here.
  (global $ERR_TIMEOUT i32 (i32.const -6))

  ;; Number of bytes in the line being built at $LINE.
  (global $line_len (mut i32) (i32.const 0))

  ;; ---------------------------------------------------------------- output
  ;; Lines are built in memory with $print / $print_num and written with one
  ;; fd_write by $newline, so a line never mixes with another process's.

  ;; Writes len bytes at ptr to stdout (fd 1), looping on short writes and
  ;; giving up silently on an error.
  (func $write_all (param $ptr i32) (param $len i32)
    (local $n i32)
    (block $out
      (loop $again
        (br_if $out (i32.eqz (local.get $len)))
        (i32.store (global.get $IOV) (local.get $ptr))
        (i32.store offset=4 (global.get $IOV) (local.get $len))
        (br_if $out
          (i32.ne
            (call $fd_write (i32.const 1) (global.get $IOV) (i32.const 1)
                            (global.get $NWRITTEN))
            (i32.const 0)))
        (local.set $n (i32.load (global.get $NWRITTEN)))
        (br_if $out (i32.eqz (local.get $n)))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $again))))

  ;; Appends len bytes at ptr to the current line (cut at 255 bytes).
  (func $print (param $ptr i32) (param $len i32)
    (local $room i32)
    (local.set $room (i32.sub (global.get $LINE_CAP) (global.get $line_len)))
    (if (i32.gt_u (local.get $len) (local.get $room))
      (then (local.set $len (local.get $room))))
    (memory.copy
      (i32.add (global.get $LINE) (global.get $line_len))
      (local.get $ptr)
      (local.get $len))
    (global.set $line_len (i32.add (global.get $line_len) (local.get $len))))

  ;; Appends n in decimal to the current line: a tiny itoa. The digits are
  ;; produced last first, written backwards from $NUM_END.
  (func $print_num (param $n i32)
    (local $p i32)
    (local $u i32)
    (local.set $p (global.get $NUM_END))
    ;; magnitude, read as unsigned (so even -2147483648 comes out right)
    (local.set $u
      (select
        (i32.sub (i32.const 0) (local.get $n))
        (local.get $n)
        (i32.lt_s (local.get $n) (i32.const 0))))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $u) (i32.const 10))))  ;; '0' + u % 10
      (local.set $u (i32.div_u (local.get $u) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $u) (i32.const 0))))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.const 45))))  ;; '-'
    (call $print (local.get $p) (i32.sub (global.get $NUM_END) (local.get $p))))

  ;; Ends the current line with "\n" and writes it with a single fd_write.
  (func $newline
    (i32.store8 (i32.add (global.get $LINE) (global.get $line_len)) (i32.const 10))
    (call $write_all (global.get $LINE) (i32.add (global.get $line_len) (i32.const 1)))
    (global.set $line_len (i32.const 0)))

  ;; ------------------------------------------------------------- messaging
  ;; Waits for the oldest message whose tag is `tag` (a one-tag filter).
  ;; Returns what receive returns: the message length, or ERR_TIMEOUT.
  (func $receive_tag (param $tag i64) (param $timeout_ms i64) (result i32)
    (i64.store (global.get $TAG_FILTER) (local.get $tag))
    (call $receive (global.get $TAG_FILTER) (i32.const 1) (local.get $timeout_ms)))

  ;; ------------------------------------------------------------------ main
  (func $main (export "main")
    (local $i i32)
    (local $pid i64)
    (local $r i32)

    ;; 1. hello
    (call $print (i32.const 1024) (i32.const 59))  ;; "main: hello! I am the main process and I have just started."
    (call $newline)

    ;; 2. spawn 3 workers; worker i gets i as its argument (u32 LE)
    (call $print (i32.const 1083) (i32.const 99))  ;; "main: I spawn 3 workers on export \"worker\", passing each its number (1 to 3) as its spawn argument."
    (call $newline)
    (local.set $i (i32.const 1))
    (loop $spawn_next
      (i32.store (global.get $ARG_BUF) (local.get $i))
      (local.set $pid
        (call $spawn (i32.const 2070) (i32.const 6)  ;; "worker"
                     (global.get $ARG_BUF) (i32.const 4)))
      (if (i64.lt_s (local.get $pid) (i64.const 0))
        (then
          ;; ERR_NO_SUCH_EXPORT, ERR_NOT_PERMITTED, ERR_LIMIT...: say so, stop
          (call $print (i32.const 1203) (i32.const 30))  ;; "main: spawn failed with error "
          (call $print_num (i32.wrap_i64 (local.get $pid)))
          (call $newline)
          (return)))
      ;; remember the pid: i64 at PIDS + 8*i
      (i64.store
        (i32.add (global.get $PIDS) (i32.shl (local.get $i) (i32.const 3)))
        (local.get $pid))
      (call $print (i32.const 1182) (i32.const 21))  ;; "main: spawned worker "
      (call $print_num (local.get $i))
      (call $newline)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spawn_next (i32.le_u (local.get $i) (i32.const 3))))

    ;; 3. send worker i the number 10*i, tag 1, payload u32 LE
    (local.set $i (i32.const 1))
    (loop $send_next
      (i32.store (global.get $MSG_BUF) (i32.mul (local.get $i) (i32.const 10)))
      (drop
        (call $send
          (i64.load (i32.add (global.get $PIDS) (i32.shl (local.get $i) (i32.const 3))))
          (i64.const 1)
          (global.get $MSG_BUF) (i32.const 4)))
      (call $print (i32.const 1233) (i32.const 18))  ;; "main: sent worker "
      (call $print_num (local.get $i))
      (call $print (i32.const 1251) (i32.const 12))  ;; " the number "
      (call $print_num (i32.mul (local.get $i) (i32.const 10)))
      (call $print (i32.const 1263) (i32.const 8))  ;; " (tag 1)"
      (call $newline)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $send_next (i32.le_u (local.get $i) (i32.const 3))))

    ;; 4. collect the replies: worker i answers with tag 10+i, so asking for
    ;;    tag 11, 12, 13 in turn gives a fixed order whoever answers first.
    (call $print (i32.const 1271) (i32.const 97))  ;; "main: now I collect the replies in a fixed order: tag 11 from worker 1, then tag 12, then tag 13."
    (call $newline)
    (local.set $i (i32.const 1))
    (loop $reply_next
      (local.set $r
        (call $receive_tag
          (i64.extend_i32_u (i32.add (i32.const 10) (local.get $i)))
          (i64.const -1)))
      ;; payload: [worker number: u32][number: u32][square: u32]
      (drop (call $msg_read (i32.const 0) (global.get $MSG_BUF) (i32.const 12)))
      (call $print (i32.const 1368) (i32.const 13))  ;; "main: worker "
      (call $print_num (i32.load (global.get $MSG_BUF)))
      (call $print (i32.const 1381) (i32.const 6))  ;; " says "
      (call $print_num (i32.load offset=4 (global.get $MSG_BUF)))
      (call $print (i32.const 1387) (i32.const 12))  ;; " squared is "
      (call $print_num (i32.load offset=8 (global.get $MSG_BUF)))
      (call $newline)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $reply_next (i32.le_u (local.get $i) (i32.const 3))))

    ;; 5. selective receive: two messages to ourselves, tag 5 then tag 6
    (call $print (i32.const 1399) (i32.const 81))  ;; "main: selective receive: I send myself a message with tag 5, then one with tag 6."
    (call $newline)
    (drop (call $send (call $self) (i64.const 5) (i32.const 1480) (i32.const 16)))  ;; "I was sent first"
    (drop (call $send (call $self) (i64.const 6) (i32.const 1496) (i32.const 17)))  ;; "I was sent second"
    ;; a filter [6] skips the older tag 5 message, which stays queued
    (drop (call $receive_tag (i64.const 6) (i64.const -1)))
    (local.set $r
      (call $msg_read (i32.const 0) (global.get $MSG_BUF) (global.get $MSG_BUF_LEN)))
    (call $print (i32.const 1513) (i32.const 47))  ;; "main: receive with tag filter [6] gives me tag "
    (call $print_num (i32.wrap_i64 (call $msg_tag)))
    (call $print (i32.const 1673) (i32.const 3))  ;; ": \""
    (call $print (global.get $MSG_BUF) (local.get $r))
    (call $print (i32.const 1560) (i32.const 26))  ;; "\", although tag 5 is older"
    (call $newline)
    ;; now the filter [5] finds the message that waited in the mailbox
    (drop (call $receive_tag (i64.const 5) (i64.const -1)))
    (local.set $r
      (call $msg_read (i32.const 0) (global.get $MSG_BUF) (global.get $MSG_BUF_LEN)))
    (call $print (i32.const 1586) (i32.const 52))  ;; "main: then receive with tag filter [5] gives me tag "
    (call $print_num (i32.wrap_i64 (call $msg_tag)))
    (call $print (i32.const 1673) (i32.const 3))  ;; ": \""
    (call $print (global.get $MSG_BUF) (local.get $r))
    (call $print (i32.const 1638) (i32.const 35))  ;; "\", which was waiting in the mailbox"
    (call $newline)

    ;; 6. a receive timeout: the mailbox is empty and nobody sends to us.
    ;;    tags_count 0 means "any message"; timeout 50 ms.
    (call $print (i32.const 1676) (i32.const 63))  ;; "main: now I wait at most 50 ms for a message that nobody sends."
    (call $newline)
    (local.set $r (call $receive (i32.const 0) (i32.const 0) (i64.const 50)))
    (if (i32.eq (local.get $r) (global.get $ERR_TIMEOUT))
      (then
        (call $print (i32.const 1739) (i32.const 52)))  ;; "main: no message within 50 ms, the receive timed out"
      (else
        (call $print (i32.const 1791) (i32.const 35))  ;; "main: unexpected: receive returned "
        (call $print_num (local.get $r))))
    (call $newline)

    ;; 7. a crash is contained: spawn "crasher" with our pid (i64 LE) as its
    ;;    argument so that it can tell us it is about to trap.
    (call $print (i32.const 1826) (i32.const 84))  ;; "main: I spawn a process on export \"crasher\"; it will execute `unreachable` and trap."
    (call $newline)
    (i64.store (global.get $ARG_BUF) (call $self))
    (local.set $pid
      (call $spawn (i32.const 2076) (i32.const 7)  ;; "crasher"
                   (global.get $ARG_BUF) (i32.const 8)))
    (if (i64.lt_s (local.get $pid) (i64.const 0))
      (then
        (call $print (i32.const 1203) (i32.const 30))  ;; "main: spawn failed with error "
        (call $print_num (i32.wrap_i64 (local.get $pid)))
        (call $newline)
        (return)))
    ;; its last words: tag 20, sent right before it executes `unreachable`
    (drop (call $receive_tag (i64.const 20) (i64.const -1)))
    ;; give the trap a moment to happen (and the host a moment to report it):
    ;; wait 20 ms for a tag that nobody sends
    (drop (call $receive_tag (i64.const 99) (i64.const 20)))
    (call $print (i32.const 1964) (i32.const 78))  ;; "main: the crasher trapped. A crash ends only that process: main keeps running."
    (call $newline)

    ;; 8. the end: returning from the entry function is a normal exit
    (call $print (i32.const 2042) (i32.const 28))  ;; "main: done, exiting normally"
    (call $newline))

  ;; ---------------------------------------------------------------- worker
  ;; Spawn argument: its number n (u32 LE). Waits for one tag 1 message
  ;; carrying a number x (u32 LE) and replies to its sender with tag 10+n and
  ;; [n: u32][x: u32][x*x: u32], then returns (a normal exit). It prints
  ;; nothing, so that the demo's output does not depend on scheduling.
  (func $worker (export "worker")
    (local $n i32)
    (local $x i32)
    ;; our number, from the spawn argument
    (if (i32.ne (call $arg_read (global.get $ARG_BUF) (i32.const 4)) (i32.const 4))
      (then (unreachable)))  ;; spawned without a 4-byte argument
    (local.set $n (i32.load (global.get $ARG_BUF)))
    ;; wait (forever) for the request, tag 1
    (if (i32.lt_s (call $receive_tag (i64.const 1) (i64.const -1)) (i32.const 4))
      (then (unreachable)))  ;; a request without a number
    (drop (call $msg_read (i32.const 0) (global.get $MSG_BUF) (i32.const 4)))
    (local.set $x (i32.load (global.get $MSG_BUF)))
    ;; the reply, built where the request was
    (i32.store (global.get $MSG_BUF) (local.get $n))
    (i32.store offset=4 (global.get $MSG_BUF) (local.get $x))
    (i32.store offset=8 (global.get $MSG_BUF) (i32.mul (local.get $x) (local.get $x)))
    (drop
      (call $send
        (call $msg_sender)  ;; the current message is still the request
        (i64.extend_i32_u (i32.add (i32.const 10) (local.get $n)))
        (global.get $MSG_BUF) (i32.const 12))))

  ;; --------------------------------------------------------------- crasher
  ;; Spawn argument: main's pid (i64 LE). Prints one line, tells main with an
  ;; empty tag 20 message, then traps: the process ends with REASON_TRAP.
  (func $crasher (export "crasher")
    (drop (call $arg_read (global.get $ARG_BUF) (i32.const 8)))
    (call $print (i32.const 1910) (i32.const 54))  ;; "crasher: I am about to execute `unreachable`, goodbye!"
    (call $newline)
    (drop (call $send (i64.load (global.get $ARG_BUF)) (i64.const 20) (i32.const 0) (i32.const 0)))
    (unreachable))

  ;; ---------------------------------------------------------------- strings
  ;; Every string is referenced in the code as (i32.const offset) (i32.const
  ;; length), with its text in a comment. The strings are packed one after the
  ;; other from offset 1024 (no terminators): changing the length of one means
  ;; shifting the offsets of all the strings after it, here and at their uses.
  ;; They end at offset 2083, inside the one 64 KiB page.
  ;; s_hello: offset 1024, 59 bytes
  (data (i32.const 1024) "main: hello! I am the main process and I have just started.")
  ;; s_spawning: offset 1083, 99 bytes
  (data (i32.const 1083) "main: I spawn 3 workers on export \22worker\22, passing each its number (1 to 3) as its spawn argument.")
  ;; s_spawned: offset 1182, 21 bytes
  (data (i32.const 1182) "main: spawned worker ")
  ;; s_spawn_failed: offset 1203, 30 bytes
  (data (i32.const 1203) "main: spawn failed with error ")
  ;; s_sent: offset 1233, 18 bytes
  (data (i32.const 1233) "main: sent worker ")
  ;; s_the_number: offset 1251, 12 bytes
  (data (i32.const 1251) " the number ")
  ;; s_tag1: offset 1263, 8 bytes
  (data (i32.const 1263) " (tag 1)")
  ;; s_collect: offset 1271, 97 bytes
  (data (i32.const 1271) "main: now I collect the replies in a fixed order: tag 11 from worker 1, then tag 12, then tag 13.")
  ;; s_worker: offset 1368, 13 bytes
  (data (i32.const 1368) "main: worker ")
  ;; s_says: offset 1381, 6 bytes
  (data (i32.const 1381) " says ")
  ;; s_squared: offset 1387, 12 bytes
  (data (i32.const 1387) " squared is ")
  ;; s_sel_intro: offset 1399, 81 bytes
  (data (i32.const 1399) "main: selective receive: I send myself a message with tag 5, then one with tag 6.")
  ;; s_payload5: offset 1480, 16 bytes
  (data (i32.const 1480) "I was sent first")
  ;; s_payload6: offset 1496, 17 bytes
  (data (i32.const 1496) "I was sent second")
  ;; s_sel_6: offset 1513, 47 bytes
  (data (i32.const 1513) "main: receive with tag filter [6] gives me tag ")
  ;; s_sel_6_end: offset 1560, 26 bytes
  (data (i32.const 1560) "\22, although tag 5 is older")
  ;; s_sel_5: offset 1586, 52 bytes
  (data (i32.const 1586) "main: then receive with tag filter [5] gives me tag ")
  ;; s_sel_5_end: offset 1638, 35 bytes
  (data (i32.const 1638) "\22, which was waiting in the mailbox")
  ;; s_colon_quote: offset 1673, 3 bytes
  (data (i32.const 1673) ": \22")
  ;; s_to_intro: offset 1676, 63 bytes
  (data (i32.const 1676) "main: now I wait at most 50 ms for a message that nobody sends.")
  ;; s_to_ok: offset 1739, 52 bytes
  (data (i32.const 1739) "main: no message within 50 ms, the receive timed out")
  ;; s_to_bad: offset 1791, 35 bytes
  (data (i32.const 1791) "main: unexpected: receive returned ")
  ;; s_crash_intro: offset 1826, 84 bytes
  (data (i32.const 1826) "main: I spawn a process on export \22crasher\22; it will execute `unreachable` and trap.")
  ;; s_crasher: offset 1910, 54 bytes
  (data (i32.const 1910) "crasher: I am about to execute `unreachable`, goodbye!")
  ;; s_crash_after: offset 1964, 78 bytes
  (data (i32.const 1964) "main: the crasher trapped. A crash ends only that process: main keeps running.")
  ;; s_done: offset 2042, 28 bytes
  (data (i32.const 2042) "main: done, exiting normally")
  ;; e_worker: offset 2070, 6 bytes
  (data (i32.const 2070) "worker")
  ;; e_crasher: offset 2076, 7 bytes
  (data (i32.const 2076) "crasher")
)
