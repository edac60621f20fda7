// The raw host functions of import module `warren_v1`, exactly as
// docs/ABI.md lists them: pointers and lengths are `usize`/`i32`, pids,
// tags, references and times `i64`; negative results are error codes
// (codes.ts). Every (pointer, length) pair must lie in this module's
// memory, or the calling process traps. The classes of warren.ts wrap
// these; use them directly to avoid allocating.

// Processes.
@external("warren_v1", "self")
export declare function self_pid(): i64;
@external("warren_v1", "parent")
export declare function parent(): i64;
@external("warren_v1", "spawn")
export declare function spawn(entry_ptr: usize, entry_len: i32, arg_ptr: usize, arg_len: i32): i64;
@external("warren_v1", "spawn_module")
export declare function spawn_module(
  module_ptr: usize, module_len: i32, entry_ptr: usize, entry_len: i32, arg_ptr: usize, arg_len: i32,
): i64;
@external("warren_v1", "spawn_opt")
export declare function spawn_opt(
  module_ptr: usize, module_len: i32, entry_ptr: usize, entry_len: i32, arg_ptr: usize, arg_len: i32,
  flags: i32, ref_out: usize,
): i64;
@external("warren_v1", "spawn_opts")
export declare function spawn_opts(
  module_ptr: usize, module_len: i32, entry_ptr: usize, entry_len: i32, arg_ptr: usize, arg_len: i32,
  options_ptr: usize, options_len: i32, flags: i32, ref_out: usize,
): i64;
@external("warren_v1", "arg_size")
export declare function arg_size(): i32;
@external("warren_v1", "arg_read")
export declare function arg_read(dst_ptr: usize, dst_len: i32): i32;
/** Never returns. */
@external("warren_v1", "exit")
export declare function exit(kind: i32, detail_ptr: usize, detail_len: i32): void;
@external("warren_v1", "yield_now")
export declare function yield_now(): void;
@external("warren_v1", "set_handler")
export declare function set_handler(name_ptr: usize, name_len: i32): i32;
@external("warren_v1", "hibernate")
export declare function hibernate(): i32;

// Messages.
@external("warren_v1", "send")
export declare function send(pid: i64, tag: i64, ptr: usize, len: i32): i32;
@external("warren_v1", "receive")
export declare function receive(tags_ptr: usize, tags_count: i32, timeout_ms: i64): i32;
@external("warren_v1", "receive_into")
export declare function receive_into(tags_ptr: usize, tags_count: i32, timeout_ms: i64, buf_ptr: usize, buf_len: i32): i32;
@external("warren_v1", "msg_tag")
export declare function msg_tag(): i64;
@external("warren_v1", "msg_sender")
export declare function msg_sender(): i64;
@external("warren_v1", "msg_size")
export declare function msg_size(): i32;
@external("warren_v1", "msg_header")
export declare function msg_header(out_ptr: usize): i32;
@external("warren_v1", "msg_read")
export declare function msg_read(offset: i32, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "msg_queue_len")
export declare function msg_queue_len(): i32;

// Calls.
@external("warren_v1", "call")
export declare function call(pid: i64, req_ptr: usize, req_len: i32, timeout_ms: i64): i32;
@external("warren_v1", "call_named")
export declare function call_named(name_ptr: usize, name_len: i32, req_ptr: usize, req_len: i32, timeout_ms: i64): i32;
@external("warren_v1", "system_call")
export declare function system_call(pid: i64, req_ptr: usize, req_len: i32, timeout_ms: i64): i32;
@external("warren_v1", "reply")
export declare function reply(pid: i64, token: i64, ptr: usize, len: i32): i32;

// Links and monitors.
@external("warren_v1", "link")
export declare function link(pid: i64): i32;
@external("warren_v1", "unlink")
export declare function unlink(pid: i64): i32;
@external("warren_v1", "trap_exit")
export declare function trap_exit(on: i32): i32;
@external("warren_v1", "exit_signal")
export declare function exit_signal(pid: i64, kind: i32, detail_ptr: usize, detail_len: i32): i32;
@external("warren_v1", "monitor")
export declare function monitor(pid: i64): i64;
@external("warren_v1", "demonitor")
export declare function demonitor(ref: i64, flush: i32): i32;

// Names and keyed registries.
@external("warren_v1", "register")
export declare function register(name_ptr: usize, name_len: i32, pid: i64): i32;
@external("warren_v1", "unregister")
export declare function unregister(name_ptr: usize, name_len: i32): i32;
@external("warren_v1", "whereis")
export declare function whereis(name_ptr: usize, name_len: i32): i64;
@external("warren_v1", "send_named")
export declare function send_named(name_ptr: usize, name_len: i32, tag: i64, ptr: usize, len: i32): i32;
@external("warren_v1", "registered")
export declare function registered(dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "registry_new")
export declare function registry_new(name_ptr: usize, name_len: i32, unique: i32): i32;
@external("warren_v1", "registry_register")
export declare function registry_register(
  reg_ptr: usize, reg_len: i32, key_ptr: usize, key_len: i32, value_ptr: usize, value_len: i32,
): i32;
@external("warren_v1", "registry_unregister")
export declare function registry_unregister(reg_ptr: usize, reg_len: i32, key_ptr: usize, key_len: i32): i32;
@external("warren_v1", "registry_lookup")
export declare function registry_lookup(
  reg_ptr: usize, reg_len: i32, key_ptr: usize, key_len: i32, dst_ptr: usize, dst_len: i32,
): i32;
@external("warren_v1", "registry_dispatch")
export declare function registry_dispatch(
  reg_ptr: usize, reg_len: i32, key_ptr: usize, key_len: i32, tag: i64, ptr: usize, len: i32,
): i32;

// Timers.
@external("warren_v1", "send_after")
export declare function send_after(pid: i64, tag: i64, ptr: usize, len: i32, ms: i64): i64;
@external("warren_v1", "send_after_named")
export declare function send_after_named(name_ptr: usize, name_len: i32, tag: i64, ptr: usize, len: i32, ms: i64): i64;
@external("warren_v1", "cancel_timer")
export declare function cancel_timer(ref: i64): i64;
@external("warren_v1", "read_timer")
export declare function read_timer(ref: i64): i64;
@external("warren_v1", "sleep")
export declare function sleep(ms: i64): i32;

// Supervisors.
@external("warren_v1", "supervisor_start")
export declare function supervisor_start(spec_ptr: usize, spec_len: i32): i64;
@external("warren_v1", "supervisor_request")
export declare function supervisor_request(sup: i64, op: i32, arg_ptr: usize, arg_len: i32): i64;
@external("warren_v1", "init_ack")
export declare function init_ack(): i32;
@external("warren_v1", "init_ignore")
export declare function init_ignore(): i32;

// Tables.
@external("warren_v1", "table_new")
export declare function table_new(name_ptr: usize, name_len: i32, kind: i32, access: i32, max_bytes: i64): i64;
@external("warren_v1", "table_whereis")
export declare function table_whereis(name_ptr: usize, name_len: i32): i64;
@external("warren_v1", "table_delete")
export declare function table_delete(tid: i64): i32;
@external("warren_v1", "table_give_away")
export declare function table_give_away(tid: i64, pid: i64, data_ptr: usize, data_len: i32): i32;
@external("warren_v1", "table_set_heir")
export declare function table_set_heir(tid: i64, pid: i64, data_ptr: usize, data_len: i32): i32;
@external("warren_v1", "table_info")
export declare function table_info(tid: i64, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_list")
export declare function table_list(dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_insert")
export declare function table_insert(tid: i64, key_ptr: usize, key_len: i32, val_ptr: usize, val_len: i32): i32;
@external("warren_v1", "table_insert_new")
export declare function table_insert_new(tid: i64, key_ptr: usize, key_len: i32, val_ptr: usize, val_len: i32): i32;
@external("warren_v1", "table_insert_many")
export declare function table_insert_many(tid: i64, rec_ptr: usize, rec_len: i32): i32;
@external("warren_v1", "table_insert_new_many")
export declare function table_insert_new_many(tid: i64, rec_ptr: usize, rec_len: i32): i32;
@external("warren_v1", "table_lookup")
export declare function table_lookup(tid: i64, key_ptr: usize, key_len: i32, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_member")
export declare function table_member(tid: i64, key_ptr: usize, key_len: i32): i32;
@external("warren_v1", "table_take")
export declare function table_take(tid: i64, key_ptr: usize, key_len: i32, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_delete_key")
export declare function table_delete_key(tid: i64, key_ptr: usize, key_len: i32): i32;
@external("warren_v1", "table_delete_object")
export declare function table_delete_object(tid: i64, key_ptr: usize, key_len: i32, val_ptr: usize, val_len: i32): i32;
@external("warren_v1", "table_delete_all")
export declare function table_delete_all(tid: i64): i64;
@external("warren_v1", "table_update_counter")
export declare function table_update_counter(
  tid: i64, key_ptr: usize, key_len: i32, incr: i64, flags: i32, dflt: i64, out_ptr: usize,
): i32;
@external("warren_v1", "table_update")
export declare function table_update(tid: i64, key_ptr: usize, key_len: i32, offset: i32, val_ptr: usize, val_len: i32): i32;
@external("warren_v1", "table_first")
export declare function table_first(tid: i64, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_last")
export declare function table_last(tid: i64, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_next")
export declare function table_next(tid: i64, key_ptr: usize, key_len: i32, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_prev")
export declare function table_prev(tid: i64, key_ptr: usize, key_len: i32, dst_ptr: usize, dst_len: i32): i32;
@external("warren_v1", "table_range")
export declare function table_range(
  tid: i64, from_ptr: usize, from_len: i32, to_ptr: usize, to_len: i32, flags: i32, limit: i32,
  dst_ptr: usize, dst_len: i32,
): i32;
@external("warren_v1", "table_select_prefix")
export declare function table_select_prefix(
  tid: i64, prefix_ptr: usize, prefix_len: i32, after_ptr: usize, after_len: i32, flags: i32, limit: i32,
  dst_ptr: usize, dst_len: i32,
): i32;
@external("warren_v1", "table_chunk")
export declare function table_chunk(
  tid: i64, after_ptr: usize, after_len: i32, flags: i32, limit: i32, dst_ptr: usize, dst_len: i32,
): i32;
@external("warren_v1", "table_result_read")
export declare function table_result_read(dst_ptr: usize, dst_len: i32): i32;
