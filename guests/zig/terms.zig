//! The term codec through a guest, for the tests that hold it to the Rust
//! crate's bytes.
//!
//! * `main` (handler style, handler `roundtrip`): each message with tag 1
//!   is decoded as a term and encoded again; the bytes go back to the
//!   sender with tag 2. A message that does not decode is answered with
//!   tag 3 and the error's name; one that decodes but does not encode,
//!   tag 4.
//! * `samples` (argument: a reporter's pid, i64 LE): terms built in Zig,
//!   each encoded and sent to the reporter with tags 1, 2, ... in the
//!   order of `samples`' table, then an empty message with tag 0.

const std = @import("std");
const warren = @import("warren.zig");
const Term = warren.term.Term;

var in_buf: [4096]u8 = undefined;
var out_buf: [65536]u8 = undefined;

export fn main() void {
    warren.setHandler("roundtrip") catch warren.exitCustom("terms: no handler export");
}

/// One message at a time: its bytes, the decoded term's containers and
/// the new encoding live in an arena on the heap, freed after the answer.
export fn roundtrip() i32 {
    const m = warren.current(&in_buf) catch return 0;
    if (m.tag != 1) return 0;
    var arena = std.heap.ArenaAllocator.init(std.heap.wasm_allocator);
    defer arena.deinit();
    const allocator = arena.allocator();
    const data = if (m.complete()) m.data else blk: {
        const all = allocator.alloc(u8, m.size) catch warren.exitCustom("terms: out of memory");
        break :blk warren.msgRead(0, all) catch unreachable; // the message is current
    };
    const t = warren.term.decode(allocator, data) catch |err| {
        warren.send(m.sender, 3, @errorName(err)) catch {};
        return 0;
    };
    const bytes = warren.term.encodeAlloc(allocator, t) catch |err| {
        warren.send(m.sender, 4, @errorName(err)) catch {};
        return 0;
    };
    warren.send(m.sender, 2, bytes) catch {};
    return 0;
}

export fn samples() void {
    var arg: [8]u8 = undefined;
    if (warren.argRead(&arg).len != 8) warren.exitCustom("terms: the argument is a pid");
    const reporter = std.mem.readInt(i64, &arg, .little);

    const two_to_64 = [_]u8{ 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    const tail = Term{ .integer = 2 };
    var wide: [300]Term = undefined;
    for (&wide, 0..) |*e, i| e.* = .{ .integer = @intCast(i) };
    const table = [_]Term{
        .{ .integer = 0 },
        .{ .integer = 255 },
        .{ .integer = 256 },
        .{ .integer = -1 },
        .{ .integer = 2147483647 },
        .{ .integer = -2147483648 },
        .{ .integer = 2147483648 },
        .{ .integer = std.math.minInt(i64) },
        .{ .integer = std.math.maxInt(i64) },
        .{ .big = .{ .negative = false, .magnitude = &two_to_64 } },
        .{ .big = .{ .negative = true, .magnitude = &two_to_64 } },
        .{ .float = 1.5 },
        .{ .float = -0.0 },
        .{ .float = 1.0e300 },
        .{ .atom = "ok" },
        .{ .atom = "\u{e9}t\u{e9}" }, // Latin-1: ATOM_EXT with bytes 233 116 233
        .{ .atom = "\u{65e5}\u{672c}" }, // not Latin-1: SMALL_ATOM_UTF8_EXT
        .{ .atom = "" },
        .{ .binary = "hi" },
        .{ .binary = "" },
        .{ .tuple = &.{} },
        .{ .tuple = &.{ .{ .atom = "add" }, .{ .integer = 1 } } },
        .{ .tuple = &wide },
        .{ .list = &.{} },
        .{ .list = &.{ .{ .integer = 1 }, .{ .integer = 2 }, .{ .integer = 3 } } },
        .{ .list = &.{ .{ .integer = 1 }, .{ .integer = 256 } } },
        .{ .list = &.{ .{ .atom = "a" }, .{ .binary = "b" } } },
        .{ .improper = .{ .elements = &.{.{ .integer = 1 }}, .tail = &tail } },
        // Keys given out of order: written in term order (numbers, atoms,
        // tuples, binaries).
        .{ .map = &.{
            .{ .key = .{ .binary = "k" }, .value = .{ .integer = 1 } },
            .{ .key = .{ .atom = "b" }, .value = .{ .integer = 2 } },
            .{ .key = .{ .tuple = &.{} }, .value = .{ .integer = 3 } },
            .{ .key = .{ .atom = "a" }, .value = .{ .integer = 4 } },
            .{ .key = .{ .integer = 7 }, .value = .{ .list = &.{} } },
            .{ .key = .{ .float = 0.5 }, .value = .{ .integer = 5 } },
        } },
        Term.fromPid(warren.self()),
        Term.fromRef(5),
        Term.fromRef(std.math.maxInt(i64)),
        .{ .tuple = &.{ .{ .atom = "ok" }, .{ .list = &.{.{ .map = &.{.{ .key = .{ .binary = "k" }, .value = .{ .list = &.{.{ .float = 2.5 }} } }} }} }, Term.fromPid(warren.self()) } },
    };
    for (table, 1..) |t, i| {
        warren.sendTerm(reporter, @intCast(i), t, &out_buf) catch warren.exitCustom("terms: a sample does not encode");
    }
    warren.send(reporter, 0, "") catch {};
}
