//! {{name}}: a Warren guest in Zig. `main` spawns a greeter (a process of
//! this same module), calls it, prints its reply and returns; the run ends
//! with it, exit code 0.
//!
//! warren.zig is the whole ABI (docs/ABI.md), wrapped with slices and error
//! unions; warren.term (term.zig) writes and reads Erlang terms, the
//! structured messages other languages understand.

const std = @import("std");
const warren = @import("warren.zig");

/// WASI's fd_write, which Warren gives every process: fd 1 is the node's
/// stdout.
const Ciovec = extern struct { buf: [*]const u8, len: usize };
extern "wasi_snapshot_preview1" fn fd_write(fd: i32, iovs: [*]const Ciovec, iovs_len: usize, written: *usize) u16;

/// Writes `text` to stdout.
fn print(text: []const u8) void {
    const iov = [_]Ciovec{.{ .buf = text.ptr, .len = text.len }};
    var written: usize = 0;
    _ = fd_write(1, &iov, 1, &written);
}

var greeter_buf: [16 + 256]u8 = undefined;
var answer_buf: [300]u8 = undefined;

/// The greeter: answers each call `NAME` with `Hello, NAME!`. Blocking
/// style: it runs until the node stops.
export fn greeter() void {
    while (true) {
        const m = warren.receiveInto(&.{warren.TAG_CALL}, warren.WAIT_FOREVER, &greeter_buf) catch continue;
        if (!m.complete()) continue; // no request of ours is this large
        const request = warren.Request.parse(m.data) orelse continue;
        const answer = std.fmt.bufPrint(&answer_buf, "Hello, {s}!", .{request.request}) catch continue;
        warren.reply(m.sender, request.token, answer) catch {};
    }
}

var reply_buf: [300]u8 = undefined;
var line_buf: [400]u8 = undefined;

/// The root process: `warren run` starts it.
export fn main() void {
    const pid = warren.spawn("greeter", "") catch warren.exitCustom("the greeter did not start");
    // Registered, so `warren info`, `trace`... name it `greeter`.
    warren.register("greeter", pid) catch {};
    const reply = warren.call(pid, "world", 5000, &reply_buf) catch warren.exitCustom("the greeter did not answer");
    const line = std.fmt.bufPrint(&line_buf, "{{name}}: the greeter replied \"{s}\"\n", .{reply}) catch
        warren.exitCustom("the reply is too long");
    print(line);
}
