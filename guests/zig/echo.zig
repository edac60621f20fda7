//! An echo server in two styles.
//!
//! * `main` (blocking style): takes every message with a tag >= 0 and
//!   sends its bytes back to the sender under the same tag, for ever.
//! * `serve` (handler style): the same, one handler call (`echo`) per
//!   message, and the process hibernates after each one. The message
//!   `count` is answered with how many messages it has echoed, an `i64`
//!   LE, which survives hibernation (its memory is kept); `stop` ends it.
//! * `quick`: returns at once, so the process ends normally (for
//!   spawn+exit benchmarks: benches/languages.rs).

const std = @import("std");
const warren = @import("warren.zig");

/// Messages up to this size take one host call; larger ones are read on
/// the heap.
var buf: [16 + 4096]u8 = undefined;
var echoed: i64 = 0;

/// The current message's bytes (in `buf`, or on the heap when larger:
/// freed by the caller with `release`).
fn whole(m: warren.Message) []u8 {
    if (m.complete()) return m.data;
    const all = std.heap.wasm_allocator.alloc(u8, m.size) catch warren.exitCustom("echo: out of memory");
    return warren.msgRead(0, all) catch unreachable; // the message is current
}

fn release(m: warren.Message, data: []u8) void {
    if (!m.complete()) std.heap.wasm_allocator.free(data);
}

export fn main() void {
    while (true) {
        const m = warren.receiveInto(&.{}, warren.WAIT_FOREVER, &buf) catch continue;
        if (m.tag < 0) continue; // exit signals and the like are not echoed
        const data = whole(m);
        defer release(m, data);
        warren.send(m.sender, m.tag, data) catch {};
    }
}

export fn serve() void {
    warren.setHandler("echo") catch warren.exitCustom("echo: no handler export");
}

export fn echo() i32 {
    const m = warren.current(buf[16..]) catch return 0;
    if (m.tag < 0) return 0;
    const data = if (m.complete()) m.data else whole(m);
    defer release(m, data);
    if (std.mem.eql(u8, data, "stop")) return 1;
    if (std.mem.eql(u8, data, "count")) {
        var le: [8]u8 = undefined;
        std.mem.writeInt(i64, &le, echoed, .little);
        warren.send(m.sender, m.tag, &le) catch {};
    } else {
        echoed += 1;
        warren.send(m.sender, m.tag, data) catch {};
    }
    warren.hibernate() catch warren.exitCustom("echo: this module cannot hibernate");
    return 0;
}

export fn quick() void {}
