//! A worker that crashes on a bad message, and two processes that watch
//! it crash.
//!
//! * `main`: for each message with tag 1, a term `{work, N}`, sends the
//!   sender `{done, 2 * N}` with tag 2. Any other message with tag 1 (not
//!   a term, or another term) is a bug it does not handle: it panics, and
//!   a Zig panic in a wasm guest is a trap, so the process exits with
//!   `REASON_TRAP`.
//! * `linked` (argument: a reporter's pid, i64 LE): traps exits, spawns a
//!   worker linked to it, reports `{worker, Pid}` (tag 10), then reports
//!   the worker's exit as it comes, `{exit, From, Kind, Detail}` (tag 11).
//! * `monitoring` (argument: the reporter's pid, then a worker's pid):
//!   monitors the worker, reports `{monitoring, Ref}` (tag 13), then its
//!   DOWN as it comes, `{down, Ref, Pid, Kind, Detail}` (tag 12).

const std = @import("std");
const warren = @import("warren.zig");
const Term = warren.term.Term;

var buf: [16 + 1024]u8 = undefined;
var out: [1024]u8 = undefined;
var heap: [8192]u8 = undefined;

export fn main() void {
    while (true) {
        const m = warren.receiveInto(&.{1}, warren.WAIT_FOREVER, &buf) catch continue;
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), m.data) catch @panic("worker: a message that is not a term");
        const e = t.tupleOf(2) orelse @panic("worker: not {work, N}");
        if (!e[0].isAtom("work")) @panic("worker: not {work, N}");
        const n = e[1].asInt() orelse @panic("worker: N is not an integer");
        warren.sendTerm(m.sender, 2, .{ .tuple = &.{ .{ .atom = "done" }, .{ .integer = n *% 2 } } }, &out) catch {};
    }
}

/// The pid at `at` in the spawn argument.
fn argPid(at: usize) warren.Pid {
    var arg: [16]u8 = undefined;
    const got = warren.argRead(&arg);
    if (got.len < at + 8) warren.exitCustom("worker: the argument holds no pid there");
    return std.mem.readInt(i64, got[at..][0..8], .little);
}

fn report(to: warren.Pid, tag: i64, t: Term) void {
    warren.sendTerm(to, tag, t, &out) catch warren.exitCustom("worker: a report does not encode");
}

export fn linked() void {
    const reporter = argPid(0);
    _ = warren.trapExit(true);
    const pid = warren.spawnLink("main", "") catch warren.exitCustom("worker: spawn failed");
    report(reporter, 10, .{ .tuple = &.{ .{ .atom = "worker" }, Term.fromPid(pid) } });
    const m = warren.receiveInto(&.{warren.TAG_EXIT}, warren.WAIT_FOREVER, &buf) catch unreachable; // waits for ever
    const e = warren.Exit.parse(m.data) orelse warren.exitCustom("worker: a short EXIT");
    report(reporter, 11, .{ .tuple = &.{ .{ .atom = "exit" }, Term.fromPid(e.from), .{ .integer = e.reason.kind }, .{ .binary = e.reason.detail } } });
}

export fn monitoring() void {
    const reporter = argPid(0);
    const worker = argPid(8);
    const ref = warren.monitor(worker) catch warren.exitCustom("worker: monitor refused");
    report(reporter, 13, .{ .tuple = &.{ .{ .atom = "monitoring" }, Term.fromRef(ref) } });
    const m = warren.receiveInto(&.{warren.TAG_DOWN}, warren.WAIT_FOREVER, &buf) catch unreachable; // waits for ever
    const d = warren.Down.parse(m.data) orelse warren.exitCustom("worker: a short DOWN");
    report(reporter, 12, .{ .tuple = &.{ .{ .atom = "down" }, Term.fromRef(d.monitor), Term.fromPid(d.pid), .{ .integer = d.reason.kind }, .{ .binary = d.reason.detail } } });
}
