//! The conformance scenario (tests/all/conformance.rs): the same steps
//! every guest language takes, reported as terms.
//!
//! `conformance` takes the argument `[reporter: i64 LE][call server: i64
//! LE]` and reports steps 1 to 10; `conformance_child` waits for one
//! message and exits with `REASON_CUSTOM` and its argument as detail.

const std = @import("std");
const warren = @import("warren.zig");
const Term = warren.term.Term;

var buf: [16 + 1024]u8 = undefined;
var out: [1024]u8 = undefined;
var heap: [8192]u8 = undefined;

/// Stops the scenario with a reason that names the step (the harness
/// reports the exit).
fn fail(comptime why: []const u8) noreturn {
    warren.exitCustom("conformance: " ++ why);
}

fn report(to: warren.Pid, tag: i64, t: Term) void {
    warren.sendTerm(to, tag, t, &out) catch fail("a report does not encode");
}

fn receive(tag: i64, timeout_ms: i64) warren.Error!warren.Message {
    const m = try warren.receiveInto(&.{tag}, timeout_ms, &buf);
    if (!m.complete()) fail("a message larger than the buffer");
    return m;
}

export fn conformance_child() void {
    var detail: [64]u8 = undefined;
    const got = warren.argRead(&detail);
    _ = warren.receive(&.{}, warren.WAIT_FOREVER) catch {};
    warren.exit(warren.REASON_CUSTOM, got);
}

export fn conformance() void {
    var arg: [16]u8 = undefined;
    if (warren.argRead(&arg).len != 16) fail("the argument is two pids");
    const reporter = std.mem.readInt(i64, arg[0..8], .little);
    const server = std.mem.readInt(i64, arg[8..16], .little);
    const me = warren.self();

    // 1: hello.
    report(reporter, 1, .{ .tuple = &.{ .{ .atom = "hello" }, Term.fromPid(me) } });

    // 2: a linked child's exit, trapped.
    _ = warren.trapExit(true);
    const linked = warren.spawn("conformance_child", "boom") catch fail("spawn (2)");
    warren.link(linked) catch fail("link");
    warren.send(linked, 1, "") catch fail("send (2)");
    const exit_msg = receive(warren.TAG_EXIT, warren.WAIT_FOREVER) catch fail("receive EXIT");
    const exit = warren.Exit.parse(exit_msg.data) orelse fail("a short EXIT");
    report(reporter, 2, .{ .tuple = &.{ .{ .atom = "exit" }, Term.fromPid(exit.from), .{ .integer = exit.reason.kind }, .{ .binary = exit.reason.detail } } });

    // 3: a monitored child's DOWN.
    const watched = warren.spawn("conformance_child", "bang") catch fail("spawn (3)");
    const ref = warren.monitor(watched) catch fail("monitor");
    warren.send(watched, 1, "") catch fail("send (3)");
    const down_msg = receive(warren.TAG_DOWN, warren.WAIT_FOREVER) catch fail("receive DOWN");
    const down = warren.Down.parse(down_msg.data) orelse fail("a short DOWN");
    if (down.monitor != ref) fail("the DOWN of another monitor");
    report(reporter, 3, .{ .tuple = &.{ .{ .atom = "down" }, Term.fromRef(down.monitor), Term.fromPid(down.pid), .{ .integer = down.reason.kind }, .{ .binary = down.reason.detail } } });

    // 4: a name.
    warren.register("conformance", me) catch fail("register");
    report(reporter, 4, .{ .tuple = &.{ .{ .atom = "registered" }, .{ .binary = "conformance" } } });

    // 5: a message sent to the name: {ping, N}.
    {
        const m = receive(20, warren.WAIT_FOREVER) catch fail("receive ping");
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), m.data) catch fail("the ping is not a term");
        const e = t.tupleOf(2) orelse fail("the ping is not {ping, N}");
        if (!e[0].isAtom("ping")) fail("the ping is not {ping, N}");
        report(reporter, 5, .{ .tuple = &.{ .{ .atom = "pong" }, e[1], Term.fromPid(m.sender) } });
    }

    // 6: a table.
    {
        const table = warren.Table.new("", warren.TABLE_SET, warren.ACCESS_PUBLIC, 0) catch fail("table_new");
        var value: [16]u8 = undefined;
        const encoded = warren.term.encodeInto(.{ .integer = 42 }, &value) catch unreachable; // 3 bytes
        table.insert("answer", encoded) catch fail("table_insert");
        const member = table.member("answer") catch fail("table_member");
        var found: [16]u8 = undefined;
        const bytes = table.lookup("answer", &found) catch fail("table_lookup");
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), bytes) catch fail("the value is not a term");
        report(reporter, 6, .{ .tuple = &.{ .{ .atom = "table" }, t, .{ .atom = if (member) "true" else "false" } } });
    }

    // 7: timers, one fired, one cancelled.
    {
        var tick: [16]u8 = undefined;
        const tick_bytes = warren.term.encodeInto(.{ .atom = "tick" }, &tick) catch unreachable; // 7 bytes
        _ = warren.sendAfter(me, 21, tick_bytes, 5) catch fail("send_after (21)");
        const late = warren.sendAfter(me, 22, "late", 60000) catch fail("send_after (22)");
        const cancelled = if (warren.cancelTimer(late)) |_| true else |_| false;
        const m = receive(21, warren.WAIT_FOREVER) catch fail("receive tick");
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), m.data) catch fail("the tick is not a term");
        const none_late = if (receive(22, warren.POLL)) |_| false else |_| true;
        report(reporter, 7, .{ .tuple = &.{ .{ .atom = "timer" }, t, .{ .atom = if (cancelled and none_late) "true" else "false" } } });
    }

    // 8: serve a call {add, A, B} with {sum, A + B}.
    {
        const m = receive(warren.TAG_CALL, warren.WAIT_FOREVER) catch fail("receive call");
        const req = warren.Request.parse(m.data) orelse fail("a short call");
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), req.request) catch fail("the request is not a term");
        const e = t.tupleOf(3) orelse fail("the request is not {add, A, B}");
        const a = e[1].asInt() orelse fail("A is not an integer");
        const b = e[2].asInt() orelse fail("B is not an integer");
        const sum = std.math.add(i64, a, b) catch fail("A + B overflows");
        var reply_buf: [64]u8 = undefined;
        const bytes = warren.term.encodeInto(.{ .tuple = &.{ .{ .atom = "sum" }, .{ .integer = sum } } }, &reply_buf) catch unreachable; // fits
        warren.reply(m.sender, req.token, bytes) catch fail("reply");
        report(reporter, 8, .{ .tuple = &.{ .{ .atom = "served" }, e[1], e[2] } });
    }

    // 9: call the call server.
    {
        var request: [64]u8 = undefined;
        const bytes = warren.term.encodeInto(.{ .tuple = &.{ .{ .atom = "echo" }, .{ .binary = "hi" } } }, &request) catch unreachable; // fits
        var answer: [256]u8 = undefined;
        const got = warren.call(server, bytes, 5000, &answer) catch fail("call");
        var fba = std.heap.FixedBufferAllocator.init(&heap);
        const t = warren.term.decode(fba.allocator(), got) catch fail("the reply is not a term");
        report(reporter, 9, .{ .tuple = &.{ .{ .atom = "called" }, t } });
    }

    // 10: done.
    report(reporter, 10, .{ .atom = "done" });
}
