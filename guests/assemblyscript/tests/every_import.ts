// Test guest: references every host function of `warren_v1` through the
// binding's raw imports (assembly/warren/sys.ts), so that the import check
// (tests/all/bindings.rs) can compare its imports, names and wasm types,
// with the host's. `main` calls none of them (the condition is never true
// at run time, but the compiler cannot know it) and returns.

import { sys } from "../assembly/warren";

export function main(): void {
  let sink: i64 = 0;
  if (sys.arg_size() < 0) {
    sink += <i64>sys.self_pid();
    sink += <i64>sys.parent();
    sink += <i64>sys.spawn(0, 0, 0, 0);
    sink += <i64>sys.spawn_module(0, 0, 0, 0, 0, 0);
    sink += <i64>sys.spawn_opt(0, 0, 0, 0, 0, 0, 0, 0);
    sink += <i64>sys.spawn_opts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    sink += <i64>sys.arg_size();
    sink += <i64>sys.arg_read(0, 0);
    sys.exit(0, 0, 0);
    sys.yield_now();
    sink += <i64>sys.set_handler(0, 0);
    sink += <i64>sys.hibernate();
    sink += <i64>sys.send(<i64>0, <i64>0, 0, 0);
    sink += <i64>sys.receive(0, 0, <i64>0);
    sink += <i64>sys.receive_into(0, 0, <i64>0, 0, 0);
    sink += <i64>sys.msg_tag();
    sink += <i64>sys.msg_sender();
    sink += <i64>sys.msg_size();
    sink += <i64>sys.msg_header(0);
    sink += <i64>sys.msg_read(0, 0, 0);
    sink += <i64>sys.msg_queue_len();
    sink += <i64>sys.call(<i64>0, 0, 0, <i64>0);
    sink += <i64>sys.call_named(0, 0, 0, 0, <i64>0);
    sink += <i64>sys.system_call(<i64>0, 0, 0, <i64>0);
    sink += <i64>sys.reply(<i64>0, <i64>0, 0, 0);
    sink += <i64>sys.link(<i64>0);
    sink += <i64>sys.unlink(<i64>0);
    sink += <i64>sys.trap_exit(0);
    sink += <i64>sys.exit_signal(<i64>0, 0, 0, 0);
    sink += <i64>sys.monitor(<i64>0);
    sink += <i64>sys.demonitor(<i64>0, 0);
    sink += <i64>sys.register(0, 0, <i64>0);
    sink += <i64>sys.unregister(0, 0);
    sink += <i64>sys.whereis(0, 0);
    sink += <i64>sys.send_named(0, 0, <i64>0, 0, 0);
    sink += <i64>sys.registered(0, 0);
    sink += <i64>sys.registry_new(0, 0, 0);
    sink += <i64>sys.registry_register(0, 0, 0, 0, 0, 0);
    sink += <i64>sys.registry_unregister(0, 0, 0, 0);
    sink += <i64>sys.registry_lookup(0, 0, 0, 0, 0, 0);
    sink += <i64>sys.registry_dispatch(0, 0, 0, 0, <i64>0, 0, 0);
    sink += <i64>sys.send_after(<i64>0, <i64>0, 0, 0, <i64>0);
    sink += <i64>sys.send_after_named(0, 0, <i64>0, 0, 0, <i64>0);
    sink += <i64>sys.cancel_timer(<i64>0);
    sink += <i64>sys.read_timer(<i64>0);
    sink += <i64>sys.sleep(<i64>0);
    sink += <i64>sys.supervisor_start(0, 0);
    sink += <i64>sys.supervisor_request(<i64>0, 0, 0, 0);
    sink += <i64>sys.init_ack();
    sink += <i64>sys.init_ignore();
    sink += <i64>sys.table_new(0, 0, 0, 0, <i64>0);
    sink += <i64>sys.table_whereis(0, 0);
    sink += <i64>sys.table_delete(<i64>0);
    sink += <i64>sys.table_give_away(<i64>0, <i64>0, 0, 0);
    sink += <i64>sys.table_set_heir(<i64>0, <i64>0, 0, 0);
    sink += <i64>sys.table_info(<i64>0, 0, 0);
    sink += <i64>sys.table_list(0, 0);
    sink += <i64>sys.table_insert(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_insert_new(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_insert_many(<i64>0, 0, 0);
    sink += <i64>sys.table_insert_new_many(<i64>0, 0, 0);
    sink += <i64>sys.table_lookup(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_member(<i64>0, 0, 0);
    sink += <i64>sys.table_take(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_delete_key(<i64>0, 0, 0);
    sink += <i64>sys.table_delete_object(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_delete_all(<i64>0);
    sink += <i64>sys.table_update_counter(<i64>0, 0, 0, <i64>0, 0, <i64>0, 0);
    sink += <i64>sys.table_update(<i64>0, 0, 0, 0, 0, 0);
    sink += <i64>sys.table_first(<i64>0, 0, 0);
    sink += <i64>sys.table_last(<i64>0, 0, 0);
    sink += <i64>sys.table_next(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_prev(<i64>0, 0, 0, 0, 0);
    sink += <i64>sys.table_range(<i64>0, 0, 0, 0, 0, 0, 0, 0, 0);
    sink += <i64>sys.table_select_prefix(<i64>0, 0, 0, 0, 0, 0, 0, 0, 0);
    sink += <i64>sys.table_chunk(<i64>0, 0, 0, 0, 0, 0, 0);
    sink += <i64>sys.table_result_read(0, 0);
  }
  if (sink == 1) sys.yield_now();
}
