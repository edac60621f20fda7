/*
 * abi_all.c - references every host function warren.h declares, so that
 * the module imports all of them: tests/all/bindings.rs reads its import
 * section and checks it against the host's functions (names and types).
 *
 * The addresses go into an array that `abi_count` reads (through a
 * volatile pointer, so the compiler keeps every entry): each import stays
 * without being called. Export `abi_count` returns how many are non-null.
 */
#include "warren.h"

static const void *const abi_functions[] = {
    (const void *)&warren_self,
    (const void *)&warren_parent,
    (const void *)&warren_spawn,
    (const void *)&warren_spawn_module,
    (const void *)&warren_spawn_opt,
    (const void *)&warren_spawn_opts,
    (const void *)&warren_arg_size,
    (const void *)&warren_arg_read,
    (const void *)&warren_exit,
    (const void *)&warren_yield_now,
    (const void *)&warren_set_handler,
    (const void *)&warren_hibernate,
    (const void *)&warren_send,
    (const void *)&warren_receive,
    (const void *)&warren_receive_into,
    (const void *)&warren_msg_tag,
    (const void *)&warren_msg_sender,
    (const void *)&warren_msg_size,
    (const void *)&warren_msg_header,
    (const void *)&warren_msg_read,
    (const void *)&warren_msg_queue_len,
    (const void *)&warren_call,
    (const void *)&warren_call_named,
    (const void *)&warren_system_call,
    (const void *)&warren_reply,
    (const void *)&warren_link,
    (const void *)&warren_unlink,
    (const void *)&warren_trap_exit,
    (const void *)&warren_exit_signal,
    (const void *)&warren_monitor,
    (const void *)&warren_demonitor,
    (const void *)&warren_register,
    (const void *)&warren_unregister,
    (const void *)&warren_whereis,
    (const void *)&warren_send_named,
    (const void *)&warren_registered,
    (const void *)&warren_registry_new,
    (const void *)&warren_registry_register,
    (const void *)&warren_registry_unregister,
    (const void *)&warren_registry_lookup,
    (const void *)&warren_registry_dispatch,
    (const void *)&warren_send_after,
    (const void *)&warren_send_after_named,
    (const void *)&warren_cancel_timer,
    (const void *)&warren_read_timer,
    (const void *)&warren_sleep,
    (const void *)&warren_table_new,
    (const void *)&warren_table_whereis,
    (const void *)&warren_table_delete,
    (const void *)&warren_table_give_away,
    (const void *)&warren_table_set_heir,
    (const void *)&warren_table_info,
    (const void *)&warren_table_list,
    (const void *)&warren_table_insert,
    (const void *)&warren_table_insert_new,
    (const void *)&warren_table_insert_many,
    (const void *)&warren_table_insert_new_many,
    (const void *)&warren_table_lookup,
    (const void *)&warren_table_member,
    (const void *)&warren_table_take,
    (const void *)&warren_table_delete_key,
    (const void *)&warren_table_delete_object,
    (const void *)&warren_table_delete_all,
    (const void *)&warren_table_update_counter,
    (const void *)&warren_table_update,
    (const void *)&warren_table_first,
    (const void *)&warren_table_last,
    (const void *)&warren_table_next,
    (const void *)&warren_table_prev,
    (const void *)&warren_table_range,
    (const void *)&warren_table_select_prefix,
    (const void *)&warren_table_chunk,
    (const void *)&warren_table_result_read,
    (const void *)&warren_supervisor_start,
    (const void *)&warren_supervisor_request,
    (const void *)&warren_init_ack,
    (const void *)&warren_init_ignore,
};

WARREN_EXPORT("abi_count")
int32_t abi_count(void) {
    const void *const volatile *entry = abi_functions;
    int32_t count = 0;
    for (uint32_t i = 0; i < sizeof abi_functions / sizeof abi_functions[0]; i++) count += entry[i] != 0;
    return count;
}
