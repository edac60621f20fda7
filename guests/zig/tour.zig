//! The rest of the ABI through the Zig binding, one entry per area, each
//! reporting what it saw as one term to the reporter whose pid is the
//! first 8 bytes of its argument (tag 1), for tests/all/lang_zig.rs.
//!
//! * `tables`: an ordered_set, its reads, writes, counters, traversals.
//! * `timers`: a timer that fires, one cancelled, one read.
//! * `names`: a registered name and a keyed registry.
//! * `supervise` (argument: reporter, then this module's name): a
//!   supervisor of one `sup_child`, which it kills and sees restarted.
//! * `caps`: a child spawned with an options block that denies spawning.

const std = @import("std");
const warren = @import("warren.zig");
const Term = warren.term.Term;

var buf: [16 + 4096]u8 = undefined;
var out: [4096]u8 = undefined;

fn fail(comptime why: []const u8) noreturn {
    warren.exitCustom("tour: " ++ why);
}

fn reporter() warren.Pid {
    var arg: [8]u8 = undefined;
    const got = warren.argRead(&arg);
    if (got.len < 8) fail("the argument starts with a pid");
    return std.mem.readInt(i64, &arg, .little);
}

fn report(t: Term) void {
    warren.sendTerm(reporter(), 1, t, &out) catch fail("a report does not encode");
}

fn atom(ok: bool) Term {
    return .{ .atom = if (ok) "true" else "false" };
}

fn int(v: anytype) Term {
    return .{ .integer = @intCast(v) };
}

export fn tables() void {
    const t = warren.Table.new("zig_tour_table", warren.TABLE_ORDERED_SET, warren.ACCESS_PROTECTED, 0) catch fail("table_new");
    const again = if (warren.Table.new("zig_tour_table", warren.TABLE_SET, warren.ACCESS_PUBLIC, 0)) |_| false else |err| err == error.TableNameTaken;
    const found = warren.Table.whereis("zig_tour_table") catch fail("table_whereis");
    t.insert("b", "2") catch fail("insert");
    t.insert("a", "1") catch fail("insert");
    const fresh = t.insertNew("c", "3") catch fail("insert_new");
    const stale = t.insertNew("a", "9") catch fail("insert_new");
    var records: [128]u8 = undefined;
    var w = warren.RecordWriter.init(&records);
    w.add("d", "4") catch fail("records");
    w.add("e", "5") catch fail("records");
    const many = t.insertMany(w.bytes()) catch fail("insert_many");
    var value: [16]u8 = undefined;
    const a = t.lookup("a", &value) catch fail("lookup");
    const a_copy: [1]u8 = .{a[0]};
    const missing = if (t.lookup("zz", &value)) |_| false else |err| err == error.NotFound;
    const hits = t.updateCounter("hits", 5, 10) catch fail("update_counter");
    const more = t.updateCounter("hits", -3, null) catch fail("update_counter");
    var key: [16]u8 = undefined;
    const first = t.first(&key) catch fail("first");
    const first_copy: [1]u8 = .{first[0]};
    const after_a = t.next("a", &key) catch fail("next");
    const after_copy: [1]u8 = .{after_a[0]};
    var range_buf: [256]u8 = undefined;
    var range = t.range("b", "d", warren.RANGE_TO_INCLUSIVE, 10, &range_buf) catch fail("range");
    var keys: [8]Term = undefined;
    var key_bytes: [8][1]u8 = undefined;
    var n: usize = 0;
    while (range.next()) |rec| : (n += 1) {
        if (n == keys.len or rec.key.len != 1) fail("an unexpected range");
        key_bytes[n] = .{rec.key[0]};
        keys[n] = .{ .binary = &key_bytes[n] };
    }
    const taken = t.take("e", &value) catch fail("take");
    const taken_copy: [1]u8 = .{taken[0]};
    const gone = t.member("e") catch fail("member");
    const info = t.info() catch fail("info");
    const mine = info.owner == warren.self() and info.kind == warren.TABLE_ORDERED_SET and info.id == found.tid;
    // A value larger than the buffer: left pending, then read whole.
    const large = [_]u8{'x'} ** 5000;
    t.insert("large", &large) catch fail("insert large");
    const too_small = if (t.lookup("large", &value)) |_| false else |err| err == error.BufferTooSmall;
    const pending = warren.pendingResultSize() catch fail("pending result");
    const read = t.lookupAlloc(std.heap.wasm_allocator, "large") catch fail("lookup large");
    defer std.heap.wasm_allocator.free(read);
    const whole = std.mem.eql(u8, read, &large);
    report(.{ .tuple = &.{
        .{ .atom = "tables" },
        atom(again),
        atom(fresh),
        atom(stale),
        int(many),
        .{ .binary = &a_copy },
        atom(missing),
        int(hits),
        int(more),
        .{ .binary = &first_copy },
        .{ .binary = &after_copy },
        .{ .list = keys[0..n] },
        .{ .binary = &taken_copy },
        atom(gone),
        int(info.size),
        atom(mine),
        atom(too_small),
        int(pending),
        atom(whole),
    } });
}

export fn timers() void {
    const me = warren.self();
    warren.register("zig_tour_timers", me) catch fail("register");
    _ = warren.sendAfter(me, 5, "tick", 10) catch fail("send_after");
    const long = warren.sendAfter(me, 6, "never", 60000) catch fail("send_after");
    const left = warren.readTimer(long) catch fail("read_timer");
    const cancelled = warren.cancelTimer(long) catch fail("cancel_timer");
    const twice = if (warren.cancelTimer(long)) |_| false else |err| err == error.NoSuchTimer;
    _ = warren.sendAfterNamed("zig_tour_timers", 7, "named", 0) catch fail("send_after_named");
    const tick = warren.receiveInto(&.{5}, warren.WAIT_FOREVER, &buf) catch fail("receive tick");
    const tick_ok = std.mem.eql(u8, tick.data, "tick") and tick.sender == me;
    const named = warren.receiveInto(&.{7}, warren.WAIT_FOREVER, &buf) catch fail("receive named");
    const named_ok = std.mem.eql(u8, named.data, "named");
    warren.sleep(1);
    const none = if (warren.receive(&.{6}, warren.POLL)) |_| false else |err| err == error.Timeout;
    report(.{ .tuple = &.{
        .{ .atom = "timers" },
        atom(tick_ok),
        atom(named_ok),
        atom(left > 0 and left <= 60000),
        atom(cancelled > 0 and cancelled <= 60000),
        atom(twice),
        atom(none),
    } });
}

export fn names() void {
    const me = warren.self();
    warren.register("zig_tour_names", me) catch fail("register");
    const where = (warren.whereis("zig_tour_names") catch fail("whereis")) orelse fail("whereis: nobody");
    const second = if (warren.register("zig_tour_other", me)) |_| false else |err| err == error.AlreadyNamed;
    var list_buf: [4096]u8 = undefined;
    var list = warren.registered(&list_buf) catch fail("registered");
    var listed = false;
    while (list.next()) |name| listed = listed or std.mem.eql(u8, name, "zig_tour_names");
    warren.sendNamed("zig_tour_names", 3, "to myself") catch fail("send_named");
    const m = warren.receiveInto(&.{3}, warren.WAIT_FOREVER, &buf) catch fail("receive");
    const got = std.mem.eql(u8, m.data, "to myself");

    const reg = warren.Registry.new("zig_tour_registry", false) catch fail("registry_new");
    reg.register("room", "v1") catch fail("registry_register");
    reg.register("room", "v2") catch fail("registry_register");
    var entries_buf: [256]u8 = undefined;
    var entries = reg.lookup("room", &entries_buf) catch fail("registry_lookup");
    var values: [4]Term = undefined;
    var n: usize = 0;
    while (entries.next()) |e| : (n += 1) {
        if (n == values.len or e.pid != me) fail("an unexpected entry");
        values[n] = .{ .binary = e.value };
    }
    const sent = reg.dispatch("room", 4, "hello room") catch fail("registry_dispatch");
    _ = warren.receive(&.{4}, warren.WAIT_FOREVER) catch fail("receive dispatch");
    _ = warren.receive(&.{4}, warren.WAIT_FOREVER) catch fail("receive dispatch");
    reg.unregister("room") catch fail("registry_unregister");
    var empty_buf: [16]u8 = undefined;
    var empty = reg.lookup("room", &empty_buf) catch fail("registry_lookup");
    const emptied = empty.next() == null;

    warren.unregister("zig_tour_names") catch fail("unregister");
    const after = (warren.whereis("zig_tour_names") catch fail("whereis")) == null;
    const nobody = if (warren.sendNamed("zig_tour_names", 3, "x")) |_| false else |err| err == error.NoSuchName;
    report(.{ .tuple = &.{
        .{ .atom = "names" },
        atom(where == me),
        atom(second),
        atom(listed),
        atom(got),
        .{ .list = values[0..n] },
        int(sent),
        atom(emptied),
        atom(after),
        atom(nobody),
    } });
}

export fn sup_child() void {
    warren.initAck();
    while (true) _ = warren.receive(&.{}, warren.WAIT_FOREVER) catch {};
}

/// The pid of the first child of a `SUP_WHICH_CHILDREN` answer.
fn firstChild(sup: warren.Pid) warren.Pid {
    var answer_buf: [16 + 512]u8 = undefined;
    const answer = warren.supervisorAsk(sup, warren.SUP_WHICH_CHILDREN, "", &answer_buf) catch fail("which_children");
    if (answer.result != 1 or answer.data.len < 8) fail("not one child");
    return std.mem.readInt(i64, answer.data[0..8], .little);
}

export fn supervise() void {
    var arg: [8 + 64]u8 = undefined;
    const got = warren.argRead(&arg);
    if (got.len <= 8) fail("the argument is a pid and a module name");
    const module = got[8..];
    _ = warren.trapExit(true);
    var spec_buf: [512]u8 = undefined;
    var spec = warren.Spec.init(&spec_buf, .{ .strategy = warren.STRATEGY_ONE_FOR_ONE, .intensity = 3, .period_ms = 5000 }) catch fail("spec");
    spec.child(.{ .id = "child", .module = module, .entry = "sup_child", .ack_ms = 5000, .shutdown = warren.SHUTDOWN_BRUTAL_KILL }) catch fail("spec child");
    const sup = warren.supervisorStart(spec.bytes()) catch fail("supervisor_start");
    _ = warren.receiveInto(&.{warren.TAG_ACK}, warren.WAIT_FOREVER, &buf) catch fail("no ack");
    const first = firstChild(sup);
    const ref = warren.monitor(first) catch fail("monitor");
    warren.kill(first) catch fail("kill");
    const down_msg = warren.receiveInto(&.{warren.TAG_DOWN}, warren.WAIT_FOREVER, &buf) catch fail("no DOWN");
    const down = warren.Down.parse(down_msg.data) orelse fail("a short DOWN");
    // The supervisor restarts the child in its own time: ask until its
    // answer names a new pid (each answer comes after the restart or
    // before it; the restart is its next event after the EXIT).
    var second = firstChild(sup);
    while (second == first or second == 0) second = firstChild(sup);
    var count_buf: [16 + 64]u8 = undefined;
    const counts = warren.supervisorAsk(sup, warren.SUP_COUNT_CHILDREN, "", &count_buf) catch fail("count_children");
    if (counts.data.len < 16) fail("a short count");
    const active = std.mem.readInt(u32, counts.data[4..8], .little);
    warren.exitSignal(sup, warren.REASON_SHUTDOWN, "") catch fail("exit_signal");
    const exit_msg = warren.receiveInto(&.{warren.TAG_EXIT}, warren.WAIT_FOREVER, &buf) catch fail("no EXIT");
    const exit = warren.Exit.parse(exit_msg.data) orelse fail("a short EXIT");
    report(.{ .tuple = &.{
        .{ .atom = "supervise" },
        atom(down.monitor == ref and down.reason.kind == warren.REASON_KILLED),
        atom(second != first),
        int(active),
        atom(exit.from == sup),
        int(exit.reason.kind),
    } });
}

export fn caps_child() void {
    const denied = if (warren.spawn("caps_child", "")) |_| false else |err| err == error.NotPermitted;
    report(.{ .tuple = &.{ .{ .atom = "caps" }, atom(denied) } });
}

export fn caps() void {
    var arg: [8]u8 = undefined;
    const rep = warren.argRead(&arg);
    var opts_buf: [64]u8 = undefined;
    var opts = warren.Options.init(&opts_buf);
    opts.maxMemory(4 * 1024 * 1024) catch fail("options");
    opts.denySpawn() catch fail("options");
    const child = warren.spawnOpts("", "caps_child", rep, opts.bytes(), warren.SPAWN_MONITOR) catch fail("spawn_opts");
    const down_msg = warren.receiveInto(&.{warren.TAG_DOWN}, warren.WAIT_FOREVER, &buf) catch fail("no DOWN");
    const down = warren.Down.parse(down_msg.data) orelse fail("a short DOWN");
    if (down.pid != child.pid or down.monitor != child.monitor.?) fail("another DOWN");
    report(.{ .tuple = &.{ .{ .atom = "caps_done" }, int(down.reason.kind) } });
}
