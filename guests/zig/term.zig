//! Erlang's External Term Format (version 131), the subset docs/ABI.md
//! "Terms" defines: what Warren guests in every language exchange.
//!
//! `encodeInto` / `encodeAlloc` write the bytes OTP 25's `term_to_binary/1`
//! writes (the same rules as the Rust crate `warren-term`: smallest integer
//! tag, atoms as Latin-1 ATOM_EXT when they can be, STRING_EXT for short
//! byte lists, map keys in Erlang's term order). `decode` reads every tag of
//! the subset, bounds-checked: it never reads past its input, refuses
//! lengths the input cannot hold before it allocates, and refuses terms
//! nested deeper than `max_depth` containers. Decoded atoms, binaries and
//! big integers borrow from the input; the containers are allocated with
//! the allocator given (a `FixedBufferAllocator` over a buffer suits a
//! guest without a heap).

const std = @import("std");

pub const VERSION: u8 = 131;
const SMALL_INTEGER_EXT: u8 = 97;
const INTEGER_EXT: u8 = 98;
const FLOAT_EXT: u8 = 99;
const NEW_FLOAT_EXT: u8 = 70;
const ATOM_EXT: u8 = 100;
const SMALL_ATOM_EXT: u8 = 115;
const ATOM_UTF8_EXT: u8 = 118;
const SMALL_ATOM_UTF8_EXT: u8 = 119;
const SMALL_TUPLE_EXT: u8 = 104;
const LARGE_TUPLE_EXT: u8 = 105;
const NIL_EXT: u8 = 106;
const STRING_EXT: u8 = 107;
const LIST_EXT: u8 = 108;
const BINARY_EXT: u8 = 109;
const SMALL_BIG_EXT: u8 = 110;
const LARGE_BIG_EXT: u8 = 111;
const MAP_EXT: u8 = 116;
const PID_EXT: u8 = 103;
const NEW_PID_EXT: u8 = 88;
const REFERENCE_EXT: u8 = 101;
const NEW_REFERENCE_EXT: u8 = 114;
const NEWER_REFERENCE_EXT: u8 = 90;

/// The node of every Warren pid and reference of this node.
pub const LOCAL_NODE = "nonode@nohost";
/// Most containers (tuples, lists, maps, list tails) one term may nest.
pub const max_depth: usize = 128;
/// Most characters in an atom.
pub const max_atom_chars: usize = 255;

/// A term. Slices are borrowed: from the input for a decoded term, from
/// whoever built it otherwise.
pub const Term = union(enum) {
    /// An integer that fits an `i64`.
    integer: i64,
    /// An integer outside `i64`: its sign and magnitude, base 256, least
    /// significant byte first.
    big: Big,
    /// A finite float.
    float: f64,
    /// An atom's text, UTF-8.
    atom: []const u8,
    binary: []const u8,
    tuple: []const Term,
    /// A proper list (empty: `[]`).
    list: []const Term,
    /// `[a, b | tail]`: at least one element, a tail that is not a list.
    improper: Improper,
    /// Key-value pairs (encoding sorts them; decoding gives them sorted).
    map: []const Pair,
    pid: Pid,
    reference: Reference,

    pub const Big = struct { negative: bool, magnitude: []const u8 };
    pub const Improper = struct { elements: []const Term, tail: *const Term };
    pub const Pair = struct { key: Term, value: Term };

    /// The term of Warren pid `raw` (docs/ABI.md "Pids").
    pub fn fromPid(raw: i64) Term {
        return .{ .pid = Pid.local(raw) };
    }

    /// The term of Warren reference `raw`.
    pub fn fromRef(raw: i64) Term {
        return .{ .reference = Reference.local(raw) };
    }

    /// The Warren pid this term is, if it is one of this node.
    pub fn asPid(t: Term) ?i64 {
        return switch (t) {
            .pid => |p| p.toLocal(),
            else => null,
        };
    }

    /// The Warren reference this term is, if it is one of this node.
    pub fn asRef(t: Term) ?i64 {
        return switch (t) {
            .reference => |r| r.toLocal(),
            else => null,
        };
    }

    pub fn asInt(t: Term) ?i64 {
        return switch (t) {
            .integer => |v| v,
            else => null,
        };
    }

    pub fn isAtom(t: Term, name: []const u8) bool {
        return switch (t) {
            .atom => |a| std.mem.eql(u8, a, name),
            else => false,
        };
    }

    /// The elements of a tuple of `arity` elements, or null.
    pub fn tupleOf(t: Term, arity: usize) ?[]const Term {
        return switch (t) {
            .tuple => |e| if (e.len == arity) e else null,
            else => null,
        };
    }

    /// The value under atom key `name` of a map.
    pub fn get(t: Term, name: []const u8) ?Term {
        const pairs = switch (t) {
            .map => |m| m,
            else => return null,
        };
        for (pairs) |pair| if (pair.key.isAtom(name)) return pair.value;
        return null;
    }
};

/// An Erlang pid.
pub const Pid = struct {
    node: []const u8,
    id: u32,
    serial: u32,
    creation: u32,

    pub fn local(raw: i64) Pid {
        const bits: u64 = @bitCast(raw);
        const index = bits & ((1 << 28) - 1);
        const serial = bits >> 28;
        return .{ .node = LOCAL_NODE, .id = @truncate(index | ((serial >> 32) << 28)), .serial = @truncate(serial), .creation = 0 };
    }

    pub fn toLocal(p: Pid) ?i64 {
        if (!std.mem.eql(u8, p.node, LOCAL_NODE) or p.creation != 0) return null;
        const index: u64 = p.id & ((1 << 28) - 1);
        const serial: u64 = (@as(u64, p.id >> 28) << 32) | p.serial;
        return @bitCast((serial << 28) | index);
    }
};

/// An Erlang reference (1 to 5 words).
pub const Reference = struct {
    node: []const u8,
    creation: u32,
    len: u8,
    words: [5]u32,

    pub fn local(raw: i64) Reference {
        const bits: u64 = @bitCast(raw);
        return .{ .node = LOCAL_NODE, .creation = 0, .len = 3, .words = .{
            @truncate(bits & ((1 << 18) - 1)),
            @truncate(bits >> 18),
            @truncate(bits >> 50),
            0,
            0,
        } };
    }

    pub fn toLocal(r: Reference) ?i64 {
        if (!std.mem.eql(u8, r.node, LOCAL_NODE) or r.creation != 0 or r.len != 3) return null;
        if (r.words[0] >> 18 != 0 or r.words[2] >> 14 != 0) return null;
        const bits = @as(u64, r.words[0]) | (@as(u64, r.words[1]) << 18) | (@as(u64, r.words[2]) << 50);
        return @bitCast(bits);
    }

    pub fn slice(r: *const Reference) []const u32 {
        return r.words[0..r.len];
    }
};

// ---------------------------------------------------------------- ordering

fn rank(t: Term) u8 {
    return switch (t) {
        .integer, .big => 0,
        .float => 1,
        .atom => 2,
        .reference => 3,
        .pid => 4,
        .tuple => 5,
        .map => 6,
        .list => |l| if (l.len == 0) 7 else 8,
        .improper => 8,
        .binary => 9,
    };
}

const Order = std.math.Order;

/// Erlang's term order as map keys use it (every integer before every
/// float): numbers < atoms < references < pids < tuples < maps < `[]` <
/// lists < binaries.
pub fn order(a: Term, b: Term) Order {
    const ra = rank(a);
    const rb = rank(b);
    if (ra == 0 and rb == 0) return orderIntegers(a, b);
    if (ra == 8 and rb == 8) return orderLists(a, b);
    if (ra != rb) return std.math.order(ra, rb);
    return switch (a) {
        .float => |x| if (x < b.float) .lt else if (x > b.float) .gt else .eq,
        .atom => |x| std.mem.order(u8, x, b.atom),
        .binary => |x| std.mem.order(u8, x, b.binary),
        .reference => |x| blk: {
            const y = b.reference;
            const node = std.mem.order(u8, x.node, y.node);
            if (node != .eq) break :blk node;
            if (x.len != y.len) break :blk std.math.order(x.len, y.len);
            var i: usize = x.len;
            while (i > 0) {
                i -= 1;
                const o = std.math.order(x.words[i], y.words[i]);
                if (o != .eq) break :blk o;
            }
            break :blk std.math.order(x.creation, y.creation);
        },
        .pid => |x| blk: {
            const y = b.pid;
            const node = std.mem.order(u8, x.node, y.node);
            if (node != .eq) break :blk node;
            if (x.serial != y.serial) break :blk std.math.order(x.serial, y.serial);
            if (x.id != y.id) break :blk std.math.order(x.id, y.id);
            break :blk std.math.order(x.creation, y.creation);
        },
        .tuple => |x| if (x.len != b.tuple.len) std.math.order(x.len, b.tuple.len) else orderSlices(x, b.tuple),
        .map => |x| blk: {
            const y = b.map;
            if (x.len != y.len) break :blk std.math.order(x.len, y.len);
            for (x, y) |p, q| {
                const o = order(p.key, q.key);
                if (o != .eq) break :blk o;
            }
            for (x, y) |p, q| {
                const o = order(p.value, q.value);
                if (o != .eq) break :blk o;
            }
            break :blk .eq;
        },
        .list => .eq, // both `[]`
        else => .eq,
    };
}

fn orderSlices(x: []const Term, y: []const Term) Order {
    for (x[0..@min(x.len, y.len)], y[0..@min(x.len, y.len)]) |p, q| {
        const o = order(p, q);
        if (o != .eq) return o;
    }
    return std.math.order(x.len, y.len);
}

/// An integer as sign and trimmed magnitude (LE) in `buf`.
fn magnitudeOf(t: Term, buf: *[8]u8) Term.Big {
    switch (t) {
        .integer => |v| {
            std.mem.writeInt(u64, buf, @abs(v), .little);
            return .{ .negative = v < 0, .magnitude = trim(buf) };
        },
        .big => |b| {
            const m = trim(b.magnitude);
            return .{ .negative = b.negative and m.len > 0, .magnitude = m };
        },
        else => unreachable, // callers pass integers only
    }
}

fn trim(digits: []const u8) []const u8 {
    var n = digits.len;
    while (n > 0 and digits[n - 1] == 0) n -= 1;
    return digits[0..n];
}

fn orderIntegers(a: Term, b: Term) Order {
    if (a == .integer and b == .integer) return std.math.order(a.integer, b.integer);
    var ba: [8]u8 = undefined;
    var bb: [8]u8 = undefined;
    const x = magnitudeOf(a, &ba);
    const y = magnitudeOf(b, &bb);
    if (x.negative != y.negative) return if (x.negative) .lt else .gt;
    var mag = std.math.order(x.magnitude.len, y.magnitude.len);
    if (mag == .eq) {
        var i = x.magnitude.len;
        while (i > 0) {
            i -= 1;
            mag = std.math.order(x.magnitude[i], y.magnitude[i]);
            if (mag != .eq) break;
        }
    }
    return if (x.negative) mag.invert() else mag;
}

/// Lists compare cell by cell, then what follows the common cells: more
/// cells, `[]` (a proper list's end), or an improper tail.
fn orderLists(a: Term, b: Term) Order {
    const xs = cellsOf(a);
    const ys = cellsOf(b);
    const common = @min(xs.elements.len, ys.elements.len);
    for (xs.elements[0..common], ys.elements[0..common]) |p, q| {
        const o = order(p, q);
        if (o != .eq) return o;
    }
    const rx = restRank(xs, common);
    const ry = restRank(ys, common);
    if (rx.tail and ry.tail) return order(xs.tail.?.*, ys.tail.?.*);
    return std.math.order(rx.rank, ry.rank);
}

const Cells = struct { elements: []const Term, tail: ?*const Term };

fn cellsOf(t: Term) Cells {
    return switch (t) {
        .list => |l| .{ .elements = l, .tail = null },
        .improper => |i| .{ .elements = i.elements, .tail = i.tail },
        else => unreachable, // callers pass lists only
    };
}

fn restRank(c: Cells, common: usize) struct { rank: u8, tail: bool } {
    if (c.elements.len > common) return .{ .rank = 8, .tail = false };
    if (c.tail) |t| return .{ .rank = rank(t.*), .tail = true };
    return .{ .rank = 7, .tail = false };
}

// ---------------------------------------------------------------- encoding

pub const EncodeError = error{
    /// The buffer given to `encodeInto` is too small.
    NoSpace,
    /// A float that is NaN or infinite.
    NotFinite,
    /// An atom longer than 255 characters, or not UTF-8.
    BadAtom,
    /// A map with a key twice.
    DuplicateKey,
    /// A reference of no word or more than 5.
    BadReference,
    /// A length beyond the format's `u32`.
    TooLong,
};

/// Writes `t` (with the version byte) into `buf`; returns the bytes.
pub fn encodeInto(t: Term, buf: []u8) EncodeError![]u8 {
    var sink = Sink{ .buf = buf };
    try sink.byte(VERSION);
    try write(&sink, t);
    return buf[0..sink.len];
}

/// The size of `t`'s encoding.
pub fn encodedSize(t: Term) EncodeError!usize {
    var sink = Sink{ .buf = null };
    try sink.byte(VERSION);
    try write(&sink, t);
    return sink.len;
}

/// Writes `t` into memory from `allocator` (the caller frees it).
pub fn encodeAlloc(allocator: std.mem.Allocator, t: Term) (EncodeError || std.mem.Allocator.Error)![]u8 {
    const buf = try allocator.alloc(u8, try encodedSize(t));
    return encodeInto(t, buf);
}

/// Counts (`buf` null) or writes.
const Sink = struct {
    buf: ?[]u8,
    len: usize = 0,

    fn bytes(s: *Sink, b: []const u8) EncodeError!void {
        if (s.buf) |buf| {
            if (buf.len - s.len < b.len) return error.NoSpace;
            @memcpy(buf[s.len..][0..b.len], b);
        }
        s.len += b.len;
    }

    fn byte(s: *Sink, b: u8) EncodeError!void {
        return s.bytes(&.{b});
    }

    fn int(s: *Sink, comptime T: type, v: T) EncodeError!void {
        var b: [@sizeOf(T)]u8 = undefined;
        std.mem.writeInt(T, &b, v, .big);
        return s.bytes(&b);
    }

    fn length(s: *Sink, tag: u8, n: usize) EncodeError!void {
        if (n > std.math.maxInt(u32)) return error.TooLong;
        try s.byte(tag);
        try s.int(u32, @intCast(n));
    }
};

fn write(s: *Sink, t: Term) EncodeError!void {
    switch (t) {
        .integer => |v| try writeInt(s, v),
        .big => |b| {
            const m = trim(b.magnitude);
            if (m.len <= 4) {
                var le = [_]u8{0} ** 8;
                @memcpy(le[0..m.len], m);
                const v: i64 = @intCast(std.mem.readInt(u64, &le, .little));
                try writeInt(s, if (b.negative) -v else v);
            } else {
                try writeBig(s, b.negative, m);
            }
        },
        .float => |f| {
            if (!std.math.isFinite(f)) return error.NotFinite;
            try s.byte(NEW_FLOAT_EXT);
            try s.int(u64, @bitCast(f));
        },
        .atom => |a| try writeAtom(s, a),
        .binary => |b| {
            try s.length(BINARY_EXT, b.len);
            try s.bytes(b);
        },
        .tuple => |elements| {
            if (elements.len <= 255) {
                try s.byte(SMALL_TUPLE_EXT);
                try s.byte(@intCast(elements.len));
            } else try s.length(LARGE_TUPLE_EXT, elements.len);
            for (elements) |e| try write(s, e);
        },
        .list => |elements| try writeList(s, elements, null),
        .improper => |imp| try writeImproper(s, imp),
        .map => |pairs| try writeMap(s, pairs),
        .pid => |p| {
            try s.byte(NEW_PID_EXT);
            try writeAtom(s, p.node);
            try s.int(u32, p.id);
            try s.int(u32, p.serial);
            try s.int(u32, p.creation);
        },
        .reference => |r| {
            if (r.len == 0 or r.len > 5) return error.BadReference;
            try s.byte(NEWER_REFERENCE_EXT);
            try s.int(u16, r.len);
            try writeAtom(s, r.node);
            try s.int(u32, r.creation);
            for (r.words[0..r.len]) |w| try s.int(u32, w);
        },
    }
}

fn writeInt(s: *Sink, v: i64) EncodeError!void {
    if (v >= 0 and v <= 255) {
        try s.byte(SMALL_INTEGER_EXT);
        try s.byte(@intCast(v));
    } else if (v >= std.math.minInt(i32) and v <= std.math.maxInt(i32)) {
        try s.byte(INTEGER_EXT);
        try s.int(i32, @intCast(v));
    } else {
        var le: [8]u8 = undefined;
        std.mem.writeInt(u64, &le, @abs(v), .little);
        try writeBig(s, v < 0, trim(&le));
    }
}

fn writeBig(s: *Sink, negative: bool, magnitude: []const u8) EncodeError!void {
    if (magnitude.len <= 255) {
        try s.byte(SMALL_BIG_EXT);
        try s.byte(@intCast(magnitude.len));
    } else try s.length(LARGE_BIG_EXT, magnitude.len);
    try s.byte(@intFromBool(negative));
    try s.bytes(magnitude);
}

fn writeAtom(s: *Sink, text: []const u8) EncodeError!void {
    var ascii = true;
    for (text) |c| if (c >= 0x80) {
        ascii = false;
        break;
    };
    if (ascii) {
        if (text.len > max_atom_chars) return error.BadAtom;
        try s.byte(ATOM_EXT);
        try s.int(u16, @intCast(text.len));
        return s.bytes(text);
    }
    const view = std.unicode.Utf8View.init(text) catch return error.BadAtom;
    var chars: usize = 0;
    var latin1 = true;
    var it = view.iterator();
    while (it.nextCodepoint()) |c| {
        chars += 1;
        if (c > 0xFF) latin1 = false;
    }
    if (chars > max_atom_chars) return error.BadAtom;
    if (latin1) {
        try s.byte(ATOM_EXT);
        try s.int(u16, @intCast(chars));
        var again = view.iterator();
        while (again.nextCodepoint()) |c| try s.byte(@intCast(c));
    } else if (text.len <= 255) {
        try s.byte(SMALL_ATOM_UTF8_EXT);
        try s.byte(@intCast(text.len));
        try s.bytes(text);
    } else {
        try s.byte(ATOM_UTF8_EXT);
        try s.int(u16, @intCast(text.len));
        try s.bytes(text);
    }
}

fn writeList(s: *Sink, elements: []const Term, tail: ?*const Term) EncodeError!void {
    if (elements.len == 0) {
        if (tail) |t| return write(s, t.*);
        return s.byte(NIL_EXT);
    }
    if (tail == null and elements.len <= 65535) {
        const bytes = for (elements) |e| {
            switch (e) {
                .integer => |v| if (v < 0 or v > 255) break false,
                else => break false,
            }
        } else true;
        if (bytes) {
            try s.byte(STRING_EXT);
            try s.int(u16, @intCast(elements.len));
            for (elements) |e| try s.byte(@intCast(e.integer));
            return;
        }
    }
    try s.length(LIST_EXT, elements.len);
    for (elements) |e| try write(s, e);
    if (tail) |t| return write(s, t.*);
    try s.byte(NIL_EXT);
}

/// `[a | [b | c]]` is written as `[a, b | c]`, as Erlang holds it: the
/// elements of the nested tails are written in one LIST_EXT.
fn writeImproper(s: *Sink, imp: Term.Improper) EncodeError!void {
    var count: usize = imp.elements.len;
    var tail: *const Term = imp.tail;
    while (true) switch (tail.*) {
        .list => |more| {
            count += more.len;
            break;
        },
        .improper => |more| {
            count += more.elements.len;
            tail = more.tail;
        },
        else => break,
    };
    const end: ?*const Term = if (tail.* == .list) null else tail;
    if (count == 0) {
        if (end) |t| return write(s, t.*);
        return s.byte(NIL_EXT);
    }
    if (end == null) {
        // A proper list after all: as `writeList` would write it, which
        // needs the elements in one slice to test for STRING_EXT; without
        // an allocator, test them in place.
        var small = count <= 65535;
        var cur: Term = .{ .improper = imp };
        while (small) {
            const elements = switch (cur) {
                .improper => |i| i.elements,
                .list => |l| l,
                else => unreachable,
            };
            for (elements) |e| switch (e) {
                .integer => |v| if (v < 0 or v > 255) {
                    small = false;
                },
                else => small = false,
            };
            if (cur == .list) break;
            cur = cur.improper.tail.*;
        }
        if (small) {
            try s.byte(STRING_EXT);
            try s.int(u16, @intCast(count));
            cur = .{ .improper = imp };
            while (true) {
                const elements = if (cur == .list) cur.list else cur.improper.elements;
                for (elements) |e| try s.byte(@intCast(e.integer));
                if (cur == .list) break;
                cur = cur.improper.tail.*;
            }
            return;
        }
    }
    try s.length(LIST_EXT, count);
    var cur: Term = .{ .improper = imp };
    while (true) {
        switch (cur) {
            .improper => |i| {
                for (i.elements) |e| try write(s, e);
                cur = i.tail.*;
            },
            .list => |l| {
                for (l) |e| try write(s, e);
                return s.byte(NIL_EXT);
            },
            else => return write(s, cur),
        }
    }
}

/// Keys in term order without an allocator: when the pairs are already in
/// order (a decoded map, or one written in order) in one pass, else by
/// selection (quadratic in the keys; Erlang's own order holds for maps of
/// at most 32 keys).
fn writeMap(s: *Sink, pairs: []const Term.Pair) EncodeError!void {
    try s.length(MAP_EXT, pairs.len);
    var sorted = true;
    var i: usize = 1;
    while (i < pairs.len) : (i += 1) {
        if (order(pairs[i - 1].key, pairs[i].key) != .lt) {
            sorted = false;
            break;
        }
    }
    if (sorted) {
        for (pairs) |p| {
            try write(s, p.key);
            try write(s, p.value);
        }
        return;
    }
    var previous: ?usize = null;
    for (0..pairs.len) |_| {
        var best: ?usize = null;
        for (pairs, 0..) |p, j| {
            if (previous) |prev| switch (order(p.key, pairs[prev].key)) {
                .lt => continue,
                .eq => if (j != prev) return error.DuplicateKey else continue,
                .gt => {},
            };
            if (best) |b| switch (order(p.key, pairs[b].key)) {
                .lt => best = j,
                .eq => return error.DuplicateKey,
                .gt => {},
            } else best = j;
        }
        const b = best orelse unreachable; // n keys, n rounds: one is left
        try write(s, pairs[b].key);
        try write(s, pairs[b].value);
        previous = b;
    }
}

// ---------------------------------------------------------------- decoding

pub const DecodeError = error{
    /// The input ends inside a term.
    EndOfInput,
    /// The first byte is not 131.
    BadVersion,
    /// A tag outside the subset (compressed terms, bitstrings, funs...).
    UnsupportedTag,
    /// Bytes that break a rule: a big integer's sign byte, an atom's text,
    /// a NaN float, a map key twice, a reference's length.
    Invalid,
    /// Nested deeper than `max_depth`.
    TooDeep,
    /// Bytes after the term.
    TrailingBytes,
} || std.mem.Allocator.Error;

/// Reads one whole term (with the version byte).
pub fn decode(allocator: std.mem.Allocator, bytes: []const u8) DecodeError!Term {
    var r = Reader{ .bytes = bytes, .allocator = allocator };
    if (try r.byte() != VERSION) return error.BadVersion;
    const t = try r.term(0);
    if (r.pos != bytes.len) return error.TrailingBytes;
    return t;
}

const Reader = struct {
    bytes: []const u8,
    pos: usize = 0,
    allocator: std.mem.Allocator,

    fn remaining(r: *const Reader) usize {
        return r.bytes.len - r.pos;
    }

    fn take(r: *Reader, n: usize) DecodeError![]const u8 {
        if (n > r.remaining()) return error.EndOfInput;
        const b = r.bytes[r.pos..][0..n];
        r.pos += n;
        return b;
    }

    fn byte(r: *Reader) DecodeError!u8 {
        return (try r.take(1))[0];
    }

    fn int(r: *Reader, comptime T: type) DecodeError!T {
        return std.mem.readInt(T, (try r.take(@sizeOf(T)))[0..@sizeOf(T)], .big);
    }

    fn nest(depth: usize) DecodeError!usize {
        if (depth >= max_depth) return error.TooDeep;
        return depth + 1;
    }

    /// Allocates `n` items only if the input left could hold them, each
    /// taking at least `min_size` bytes (lengths are not trusted).
    fn alloc(r: *Reader, comptime T: type, n: usize, min_size: usize) DecodeError![]T {
        if (n > r.remaining() / min_size) return error.EndOfInput;
        return r.allocator.alloc(T, n);
    }

    fn atom(r: *Reader) DecodeError![]const u8 {
        return r.atomBody(try r.byte());
    }

    fn atomBody(r: *Reader, tag: u8) DecodeError![]const u8 {
        const n: usize, const latin1 = switch (tag) {
            ATOM_EXT => .{ try r.int(u16), true },
            SMALL_ATOM_EXT => .{ try r.byte(), true },
            ATOM_UTF8_EXT => .{ try r.int(u16), false },
            SMALL_ATOM_UTF8_EXT => .{ try r.byte(), false },
            else => return unexpected(tag),
        };
        const text = try r.take(n);
        if (latin1) {
            if (n > max_atom_chars) return error.Invalid;
            var high: usize = 0;
            for (text) |c| high += @intFromBool(c >= 0x80);
            if (high == 0) return text;
            // Latin-1 to UTF-8: each byte >= 0x80 takes two.
            const out = try r.allocator.alloc(u8, n + high);
            var i: usize = 0;
            for (text) |c| {
                if (c < 0x80) {
                    out[i] = c;
                    i += 1;
                } else {
                    out[i] = 0xC0 | (c >> 6);
                    out[i + 1] = 0x80 | (c & 0x3F);
                    i += 2;
                }
            }
            return out;
        }
        const view = std.unicode.Utf8View.init(text) catch return error.Invalid;
        var chars: usize = 0;
        var it = view.iterator();
        while (it.nextCodepoint()) |_| chars += 1;
        if (chars > max_atom_chars) return error.Invalid;
        return text;
    }

    fn term(r: *Reader, depth: usize) DecodeError!Term {
        const tag = try r.byte();
        switch (tag) {
            SMALL_INTEGER_EXT => return .{ .integer = try r.byte() },
            INTEGER_EXT => return .{ .integer = try r.int(i32) },
            SMALL_BIG_EXT, LARGE_BIG_EXT => {
                const n: usize = if (tag == SMALL_BIG_EXT) try r.byte() else try r.int(u32);
                const negative = switch (try r.byte()) {
                    0 => false,
                    1 => true,
                    else => return error.Invalid,
                };
                const m = trim(try r.take(n));
                if (m.len <= 8) {
                    var le = [_]u8{0} ** 8;
                    @memcpy(le[0..m.len], m);
                    const v = std.mem.readInt(u64, &le, .little);
                    if (!negative and v <= std.math.maxInt(i64)) return .{ .integer = @intCast(v) };
                    if (negative and v <= @as(u64, 1) << 63) return .{ .integer = @intCast(-@as(i128, v)) };
                }
                return .{ .big = .{ .negative = negative, .magnitude = m } };
            },
            NEW_FLOAT_EXT => {
                const f: f64 = @bitCast(try r.int(u64));
                if (!std.math.isFinite(f)) return error.Invalid;
                return .{ .float = f };
            },
            FLOAT_EXT => {
                const text = try r.take(31);
                const end = std.mem.indexOfScalar(u8, text, 0) orelse text.len;
                const trimmed = std.mem.trim(u8, text[0..end], " \t\r\n");
                // Decimal text only, as Rust's `f64` parser reads it
                // (Zig's also reads hex floats and digit separators).
                for (trimmed) |c| switch (c) {
                    '0'...'9', '.', 'e', 'E', '+', '-' => {},
                    else => return error.Invalid,
                };
                const f = std.fmt.parseFloat(f64, trimmed) catch return error.Invalid;
                if (!std.math.isFinite(f)) return error.Invalid;
                return .{ .float = f };
            },
            ATOM_EXT, SMALL_ATOM_EXT, ATOM_UTF8_EXT, SMALL_ATOM_UTF8_EXT => return .{ .atom = try r.atomBody(tag) },
            SMALL_TUPLE_EXT, LARGE_TUPLE_EXT => {
                const arity: usize = if (tag == SMALL_TUPLE_EXT) try r.byte() else try r.int(u32);
                const inner = try nest(depth);
                const elements = try r.alloc(Term, arity, 1);
                for (elements) |*e| e.* = try r.term(inner);
                return .{ .tuple = elements };
            },
            NIL_EXT => return .{ .list = &.{} },
            STRING_EXT => {
                const n = try r.int(u16);
                const bytes = try r.take(n);
                const elements = try r.allocator.alloc(Term, n);
                for (elements, bytes) |*e, b| e.* = .{ .integer = b };
                return .{ .list = elements };
            },
            LIST_EXT => return r.list(depth),
            BINARY_EXT => return .{ .binary = try r.take(try r.int(u32)) },
            MAP_EXT => {
                const arity = try r.int(u32);
                const inner = try nest(depth);
                const pairs = try r.alloc(Term.Pair, arity, 2);
                for (pairs) |*p| {
                    const key = try r.term(inner);
                    p.* = .{ .key = key, .value = try r.term(inner) };
                }
                std.sort.pdq(Term.Pair, pairs, {}, keyLess);
                var i: usize = 1;
                while (i < pairs.len) : (i += 1) {
                    if (order(pairs[i - 1].key, pairs[i].key) == .eq) return error.Invalid;
                }
                return .{ .map = pairs };
            },
            NEW_PID_EXT, PID_EXT => {
                const node = try r.atom();
                const id = try r.int(u32);
                const serial = try r.int(u32);
                const creation: u32 = if (tag == NEW_PID_EXT) try r.int(u32) else try r.byte();
                return .{ .pid = .{ .node = node, .id = id, .serial = serial, .creation = creation } };
            },
            REFERENCE_EXT => {
                const node = try r.atom();
                const id = try r.int(u32);
                const creation = try r.byte();
                return .{ .reference = .{ .node = node, .creation = creation, .len = 1, .words = .{ id, 0, 0, 0, 0 } } };
            },
            NEWER_REFERENCE_EXT, NEW_REFERENCE_EXT => {
                const n = try r.int(u16);
                if (n == 0 or n > 5) return error.Invalid;
                const node = try r.atom();
                const creation: u32 = if (tag == NEWER_REFERENCE_EXT) try r.int(u32) else try r.byte();
                var words = [_]u32{0} ** 5;
                for (words[0..n]) |*w| w.* = try r.int(u32);
                return .{ .reference = .{ .node = node, .creation = creation, .len = @intCast(n), .words = words } };
            },
            else => return unexpected(tag),
        }
    }

    /// LIST_EXT: the elements, then the tail; a tail that is a list is
    /// flattened into this one (`[a | [b]]` is `[a, b]`), and a list of no
    /// element is its tail.
    fn list(r: *Reader, depth: usize) DecodeError!Term {
        const n = try r.int(u32);
        const inner = try nest(depth);
        const elements = try r.alloc(Term, n, 1);
        for (elements) |*e| e.* = try r.term(inner);
        const tail = try r.term(inner);
        switch (tail) {
            .list => |more| {
                if (more.len == 0) return .{ .list = elements };
                return .{ .list = try r.concat(elements, more) };
            },
            .improper => |more| {
                const all = try r.concat(elements, more.elements);
                return .{ .improper = .{ .elements = all, .tail = more.tail } };
            },
            else => {
                if (elements.len == 0) return tail;
                const boxed = try r.allocator.create(Term);
                boxed.* = tail;
                return .{ .improper = .{ .elements = elements, .tail = boxed } };
            },
        }
    }

    fn concat(r: *Reader, a: []const Term, b: []const Term) DecodeError![]Term {
        const all = try r.allocator.alloc(Term, a.len + b.len);
        @memcpy(all[0..a.len], a);
        @memcpy(all[a.len..], b);
        return all;
    }
};

fn keyLess(_: void, a: Term.Pair, b: Term.Pair) bool {
    return order(a.key, b.key) == .lt;
}

fn unexpected(tag: u8) DecodeError {
    return switch (tag) {
        SMALL_INTEGER_EXT, INTEGER_EXT, SMALL_BIG_EXT, LARGE_BIG_EXT, NEW_FLOAT_EXT, FLOAT_EXT, ATOM_EXT, SMALL_ATOM_EXT, ATOM_UTF8_EXT, SMALL_ATOM_UTF8_EXT, SMALL_TUPLE_EXT, LARGE_TUPLE_EXT, NIL_EXT, STRING_EXT, LIST_EXT, BINARY_EXT, MAP_EXT, NEW_PID_EXT, PID_EXT, REFERENCE_EXT, NEW_REFERENCE_EXT, NEWER_REFERENCE_EXT => error.Invalid,
        else => error.UnsupportedTag,
    };
}
