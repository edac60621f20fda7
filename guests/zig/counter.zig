//! A counter server (handler style, gen_server's way): calls and casts
//! whose requests are terms, and the system requests every SDK behaviour
//! answers.
//!
//! * calls (`TAG_CALL`): `{get}` -> the count; `{add, N}` -> `{ok, Count}`
//!   (the new count); `{stop}` -> `ok`, then the process ends normally;
//!   anything else -> `{error, bad_request}`.
//! * casts (tag 1, no reply): `{add, N}`; anything else is ignored.
//! * system requests (`TAG_SYSTEM`): `get_state` -> `<<"count=N">>`,
//!   `get_status` -> its map (behaviour `gen_server`).
//!
//! Entry `main`; its spawn argument, if any, is a name to register under.
//! Entry `client` (argument: a reporter's pid, then a counter's, i64 LE)
//! is a client of a counter: three casts `{add, 1}`, then the call
//! `{get}`, then the system request `get_state`; it reports both answers
//! to the reporter as `{got, Reply, State}` (tag 1). One sender's messages
//! arrive in order, so the call sees the casts.

const std = @import("std");
const warren = @import("warren.zig");
const Term = warren.term.Term;

/// A cast: a message with this tag.
const TAG_CAST: i64 = 1;

var count: i64 = 0;
var name_buf: [255]u8 = undefined;
var name_len: usize = 0;
var in_buf: [4096]u8 = undefined;
var out_buf: [512]u8 = undefined;
/// Decoded terms' containers live here, one message at a time.
var heap: [16384]u8 = undefined;

export fn main() void {
    name_len = warren.argRead(&name_buf).len;
    if (name_len > 0) warren.register(name_buf[0..name_len], warren.self()) catch warren.exitCustom("counter: the name is taken");
    warren.setHandler("handle") catch warren.exitCustom("counter: no handler export");
}

/// `{add, N}` -> N.
fn addend(t: Term) ?i64 {
    const e = t.tupleOf(2) orelse return null;
    if (!e[0].isAtom("add")) return null;
    return e[1].asInt();
}

fn isCommand(t: Term, name: []const u8) bool {
    const e = t.tupleOf(1) orelse return false;
    return e[0].isAtom(name);
}

fn answer(sender: warren.Pid, token: i64, t: Term) void {
    const bytes = warren.term.encodeInto(t, &out_buf) catch return;
    warren.reply(sender, token, bytes) catch {};
}

export fn handle() i32 {
    const m = warren.current(&in_buf) catch return 0;
    if (!m.complete()) return 0; // no request of ours is this large
    var fba = std.heap.FixedBufferAllocator.init(&heap);
    switch (m.tag) {
        warren.TAG_CALL => {
            const req = warren.Request.parse(m.data) orelse return 0;
            const asked = warren.term.decode(fba.allocator(), req.request) catch {
                answer(m.sender, req.token, .{ .tuple = &.{ .{ .atom = "error" }, .{ .atom = "bad_request" } } });
                return 0;
            };
            if (isCommand(asked, "get")) {
                answer(m.sender, req.token, .{ .integer = count });
            } else if (addend(asked)) |n| {
                count +%= n;
                answer(m.sender, req.token, .{ .tuple = &.{ .{ .atom = "ok" }, .{ .integer = count } } });
            } else if (isCommand(asked, "stop")) {
                answer(m.sender, req.token, .{ .atom = "ok" });
                return 1;
            } else {
                answer(m.sender, req.token, .{ .tuple = &.{ .{ .atom = "error" }, .{ .atom = "bad_request" } } });
            }
        },
        warren.TAG_SYSTEM => {
            const req = warren.Request.parse(m.data) orelse return 0;
            var state: [32]u8 = undefined;
            const text = std.fmt.bufPrint(&state, "count={d}", .{count}) catch unreachable; // 6 + 20 digits fit
            const name: ?[]const u8 = if (name_len > 0) name_buf[0..name_len] else null;
            warren.answerSystem(m.sender, req, "gen_server", text, name, &out_buf) catch {};
        },
        TAG_CAST => {
            const cast = warren.term.decode(fba.allocator(), m.data) catch return 0;
            if (addend(cast)) |n| count +%= n;
        },
        else => {},
    }
    return 0;
}

export fn client() void {
    var arg: [16]u8 = undefined;
    if (warren.argRead(&arg).len != 16) warren.exitCustom("client: the argument is two pids");
    const reporter = std.mem.readInt(i64, arg[0..8], .little);
    const server = std.mem.readInt(i64, arg[8..16], .little);
    for (0..3) |_| {
        warren.sendTerm(server, TAG_CAST, .{ .tuple = &.{ .{ .atom = "add" }, .{ .integer = 1 } } }, &out_buf) catch warren.exitCustom("client: cast");
    }
    const request = warren.term.encodeInto(.{ .tuple = &.{.{ .atom = "get" }} }, &out_buf) catch unreachable; // fits
    const got = warren.call(server, request, warren.WAIT_FOREVER, &in_buf) catch |err| warren.exitCustom(@errorName(err));
    var fba = std.heap.FixedBufferAllocator.init(&heap);
    const value = warren.term.decode(fba.allocator(), got) catch warren.exitCustom("client: the reply is not a term");
    // And its state, as `sys:get_state` asks it.
    var state_req: [16]u8 = undefined;
    const asked = warren.term.encodeInto(.{ .atom = "get_state" }, &state_req) catch unreachable; // 13 bytes
    var state_buf: [256]u8 = undefined;
    const state_bytes = warren.systemCall(server, asked, warren.WAIT_FOREVER, &state_buf) catch |err| warren.exitCustom(@errorName(err));
    const state = warren.term.decode(fba.allocator(), state_bytes) catch warren.exitCustom("client: the state is not a term");
    warren.sendTerm(reporter, 1, .{ .tuple = &.{ .{ .atom = "got" }, value, state } }, &out_buf) catch warren.exitCustom("client: report");
}
