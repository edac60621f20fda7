//! A guest that imports every host function of `warren_v1` (for the check
//! that the Zig binding declares each with the host's types:
//! tests/all/bindings.rs) and makes the compiler analyse every public
//! declaration of the binding (Zig compiles only what is used).

const std = @import("std");
const warren = @import("warren.zig");

fn touchAll(comptime namespace: type) usize {
    var n: usize = 0;
    const decls = switch (@typeInfo(namespace)) {
        .@"struct" => |s| s.decls,
        .@"union" => |u| u.decls,
        else => @compileError("a namespace"),
    };
    inline for (decls) |decl| {
        const field = @field(namespace, decl.name);
        if (@TypeOf(field) == type) continue;
        std.mem.doNotOptimizeAway(&field);
        n += 1;
    }
    return n;
}

/// The number of host functions the binding declares (and this module
/// imports).
export fn abi_all_count() i32 {
    return @intCast(touchAll(warren.raw));
}

/// References every wrapper (and thus analyses it).
export fn abi_all_wrappers() i32 {
    return @intCast(touchAll(warren) + touchAll(warren.term) + touchAll(warren.Table) + touchAll(warren.Options) +
        touchAll(warren.Registry) + touchAll(warren.Spec) + touchAll(warren.Records) + touchAll(warren.RecordWriter) +
        touchAll(warren.Names) + touchAll(warren.Entries) + touchAll(warren.Exit) + touchAll(warren.Down) +
        touchAll(warren.Request) + touchAll(warren.TableTransfer) + touchAll(warren.SupervisorReply) +
        touchAll(warren.Message) + touchAll(warren.term.Term) + touchAll(warren.term.Pid) + touchAll(warren.term.Reference));
}
