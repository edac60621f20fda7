/*
 * tour.c - tables, timers and names from C, each export a small scenario
 * that reports what it saw to the reporter (argument: [reporter: i64 LE])
 * as messages of fixed tags with i64 LE values or bytes (see each export;
 * tests/all/lang_c.rs asserts them). Every call's result is reported, so a
 * failure shows which call returned what.
 */
#include "warren.h"

static warren_pid_t reporter;

static void read_reporter(void) {
    if (warren_arg_read(&reporter, sizeof reporter) != (int32_t)sizeof reporter)
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("tour: the argument is not a pid"));
}

static void report_i64(warren_tag_t tag, int64_t value) { warren_send(reporter, tag, &value, sizeof value); }

static void report_bytes(warren_tag_t tag, const void *data, uint32_t len) { warren_send(reporter, tag, data, len); }

/*
 * tables:
 *   1  the keys of ordered_set "c_scores" (inserted b, a, c), first to last
 *      by table_first/table_next, concatenated: "abc"
 *   2  update_counter on "hits": +5 from default 10, then +1: [15][16]
 *   3  a 300-byte value read through table_result_read after a lookup with
 *      a 16-byte buffer: [size returned by lookup][size read][first byte]
 *      [last byte]
 *   4  a bag filled by insert_many (3 records, 2 under key "k"): [inserted]
 *      [records under "k"][their value lengths summed]
 *   5  table_info of "c_scores": [size][kind][access][owner is self: 0/1]
 *   6  table_whereis("c_scores") == the id: [1], then after table_delete
 *      table_whereis: [WARREN_ERR_NO_SUCH_TABLE]
 */
WARREN_EXPORT("tables")
void tables(void) {
    read_reporter();
    warren_tid_t scores = warren_table_new(WARREN_STR("c_scores"), WARREN_TABLE_ORDERED_SET, WARREN_ACCESS_PROTECTED, 0);
    warren_table_insert(scores, WARREN_STR("b"), WARREN_STR("2"));
    warren_table_insert(scores, WARREN_STR("a"), WARREN_STR("1"));
    warren_table_insert(scores, WARREN_STR("c"), WARREN_STR("3"));
    char keys[8];
    uint32_t n = 0;
    char key[16];
    int32_t len = warren_table_first(scores, key, sizeof key);
    while (len > 0 && n < sizeof keys) {
        keys[n++] = key[0];
        len = warren_table_next(scores, key, (uint32_t)len, key, sizeof key);
    }
    report_bytes(1, keys, n);

    int64_t counters[2];
    warren_table_update_counter(scores, WARREN_STR("hits"), 5, WARREN_COUNTER_DEFAULT, 10, &counters[0]);
    warren_table_update_counter(scores, WARREN_STR("hits"), 1, WARREN_COUNTER_DEFAULT, 10, &counters[1]);
    report_bytes(2, counters, sizeof counters);

    static uint8_t big[300];
    for (uint32_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
    warren_table_insert(scores, WARREN_STR("big"), big, sizeof big);
    uint8_t small[16];
    static uint8_t whole[300];
    int64_t result[4];
    result[0] = warren_table_lookup(scores, WARREN_STR("big"), small, sizeof small);
    result[1] = warren_table_result_read(whole, sizeof whole);
    result[2] = whole[0];
    result[3] = whole[299];
    report_bytes(3, result, sizeof result);

    warren_tid_t bag = warren_table_new(0, 0, WARREN_TABLE_BAG, WARREN_ACCESS_PRIVATE, 0);
    uint8_t records[128];
    warren_buf_t b;
    warren_buf_init(&b, records, sizeof records);
    warren_records_put(&b, WARREN_STR("k"), WARREN_STR("one"));
    warren_records_put(&b, WARREN_STR("j"), WARREN_STR("two"));
    warren_records_put(&b, WARREN_STR("k"), WARREN_STR("three"));
    int64_t bag_report[3] = {0, 0, 0};
    bag_report[0] = b.err == WARREN_OK ? warren_table_insert_many(bag, records, b.len) : b.err;
    uint8_t found[128];
    int32_t size = warren_table_lookup(bag, WARREN_STR("k"), found, sizeof found);
    uint32_t offset = 0;
    warren_record_t record;
    while (size > 0 && warren_records_next(found, (uint32_t)size, &offset, &record) == 1) {
        bag_report[1] += 1;
        bag_report[2] += record.value_len;
    }
    report_bytes(4, bag_report, sizeof bag_report);

    warren_table_info_t info;
    int64_t info_report[4] = {-1, -1, -1, -1};
    if (warren_table_info_get(scores, &info) == WARREN_OK) {
        info_report[0] = info.size;
        info_report[1] = info.kind;
        info_report[2] = info.access;
        info_report[3] = info.owner == warren_self();
    }
    report_bytes(5, info_report, sizeof info_report);

    int64_t names[2];
    names[0] = warren_table_whereis(WARREN_STR("c_scores")) == scores;
    warren_table_delete(scores);
    names[1] = warren_table_whereis(WARREN_STR("c_scores"));
    report_bytes(6, names, sizeof names);
}

/*
 * timers:
 *   1  two timers to self, "late" in 30 ms and "soon" in 1 ms, arrive in
 *      due order: "soonlate"
 *   2  read_timer on a 60 s timer: the ms left (0 < left <= 60000)
 *   3  cancel_timer on it, then again: [left >= 0: 1/0][WARREN_ERR_NO_SUCH_TIMER]
 *   4  sleep(20): [its result]
 *   5  send_after_named to its own name "c_timers": the payload "named"
 */
WARREN_EXPORT("timers")
void timers(void) {
    read_reporter();
    warren_send_after(warren_self(), 7, WARREN_STR("late"), 30);
    warren_send_after(warren_self(), 7, WARREN_STR("soon"), 1);
    char order[8];
    warren_tag_t seven = 7;
    warren_msg_t msg;
    warren_receive_msg(&seven, 1, WARREN_INFINITY, &msg, order, 4);
    warren_receive_msg(&seven, 1, WARREN_INFINITY, &msg, order + 4, 4);
    report_bytes(1, order, 8);

    warren_ref_t ref = warren_send_after(warren_self(), 8, WARREN_STR("never"), 60000);
    report_i64(2, warren_read_timer(ref));
    int64_t cancels[2];
    cancels[0] = warren_cancel_timer(ref) >= 0;
    cancels[1] = warren_cancel_timer(ref);
    report_bytes(3, cancels, sizeof cancels);

    report_i64(4, warren_sleep(20));

    warren_register(WARREN_STR("c_timers"), warren_self());
    warren_send_after_named(WARREN_STR("c_timers"), 9, WARREN_STR("named"), 1);
    char named[8];
    warren_tag_t nine = 9;
    warren_receive_msg(&nine, 1, WARREN_INFINITY, &msg, named, sizeof named);
    report_bytes(5, named, msg.copied);
}

/*
 * names:
 *   1  [register "c_names"][a second name for self: WARREN_ERR_ALREADY_NAMED]
 *      [whereis "c_names" == self][whereis "c_nobody"]
 *   2  the payload of a message it sent itself with send_named: "by name"
 *   3  [send_named to a name nobody holds: WARREN_ERR_NO_SUCH_NAME]
 *   4  registered() holds "c_names": [1]
 *   5  a duplicate registry "c_reg", self twice under "k" (values "v1",
 *      "v2"): [entries found][dispatch count][messages received]
 *   6  after unregister: [unregister][whereis "c_names"]
 */
WARREN_EXPORT("names")
void names(void) {
    read_reporter();
    int64_t reg[4];
    reg[0] = warren_register(WARREN_STR("c_names"), warren_self());
    reg[1] = warren_register(WARREN_STR("c_names_2"), warren_self());
    reg[2] = warren_whereis(WARREN_STR("c_names")) == warren_self();
    reg[3] = warren_whereis(WARREN_STR("c_nobody"));
    report_bytes(1, reg, sizeof reg);

    warren_send_named(WARREN_STR("c_names"), 3, WARREN_STR("by name"));
    char got[16];
    warren_tag_t three = 3;
    warren_msg_t msg;
    warren_receive_msg(&three, 1, WARREN_INFINITY, &msg, got, sizeof got);
    report_bytes(2, got, msg.copied);

    report_i64(3, warren_send_named(WARREN_STR("c_nobody"), 3, WARREN_STR("lost")));

    static uint8_t list[4096];
    int32_t need = warren_registered(list, sizeof list);
    int64_t listed = 0;
    for (uint32_t at = 0; need > 0 && at + 4 <= (uint32_t)need;) {
        uint32_t len = warren_load_u32(list + at);
        at += 4;
        if (len == 7 && at + len <= (uint32_t)need) {
            const char *want = "c_names";
            int same = 1;
            for (uint32_t i = 0; i < 7; i++) same &= list[at + i] == (uint8_t)want[i];
            listed |= same;
        }
        at += len;
    }
    report_i64(4, listed);

    int64_t registry[3] = {0, 0, 0};
    warren_registry_new(WARREN_STR("c_reg"), 0);
    warren_registry_register(WARREN_STR("c_reg"), WARREN_STR("k"), WARREN_STR("v1"));
    warren_registry_register(WARREN_STR("c_reg"), WARREN_STR("k"), WARREN_STR("v2"));
    uint8_t entries[128];
    int32_t size = warren_registry_lookup(WARREN_STR("c_reg"), WARREN_STR("k"), entries, sizeof entries);
    /* Entries: [pid: i64][value_len: u32][value]... */
    for (uint32_t at = 0; size > 0 && at + 12 <= (uint32_t)size; registry[0]++) at += 12 + warren_load_u32(entries + at + 8);
    registry[1] = warren_registry_dispatch(WARREN_STR("c_reg"), WARREN_STR("k"), 4, WARREN_STR("hey"));
    warren_tag_t four = 4;
    while (warren_receive(&four, 1, WARREN_POLL) >= 0) registry[2]++;
    report_bytes(5, registry, sizeof registry);

    int64_t gone[2];
    gone[0] = warren_unregister(WARREN_STR("c_names"));
    gone[1] = warren_whereis(WARREN_STR("c_names"));
    report_bytes(6, gone, sizeof gone);
}

/* A supervisor's worker: argument [reporter]; reports tag 50 [its pid],
 * acknowledges its start, then waits. */
WARREN_EXPORT("sup_worker")
void sup_worker(void) {
    read_reporter();
    report_i64(50, warren_self());
    warren_init_ack();
    for (;;) warren_receive_any(WARREN_INFINITY);
}

/* Waits for the supervisor's reply to `request`; returns its parts. */
static int32_t sup_reply(int64_t request, uint8_t *buf, uint32_t cap, warren_sup_reply_t *reply) {
    warren_tag_t tag = WARREN_TAG_SUPERVISOR_REPLY;
    warren_msg_t msg;
    if (warren_receive_msg(&tag, 1, 5000, &msg, buf, cap) < 0) return WARREN_ERR_TIMEOUT;
    if (warren_parse_sup_reply(buf, msg.copied, reply) != WARREN_OK) return WARREN_ERR_BADARG;
    return reply->request == request ? WARREN_OK : WARREN_ERR_BADARG;
}

/*
 * supervise: argument [reporter: i64][this module's name]. A supervisor
 * spec built with warren_spec_*: one_for_one, one worker "w1" on
 * sup_worker that must init_ack within 5 s, with an options block
 * (deny_print), then a nested supervisor "inner" with no children of its
 * own (warren_supervisor_child). Reports:
 *   10 [supervisor pid][the TAG_ACK's sender == the supervisor: 1/0]
 *   11 [reply matches the request: 1/0][which_children's result][first child's pid]
 *   12 [start_child of "w2" (a child record): its pid]
 *   13 count_children: [specs][active][supervisors][workers]
 *   (and each worker reports tag 50 with its pid)
 */
WARREN_EXPORT("supervise")
void supervise(void) {
    uint8_t arg[72];
    int32_t arg_len = warren_arg_read(arg, sizeof arg);
    if (arg_len <= 8) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("supervise: the argument is [pid][module]"));
    reporter = (warren_pid_t)warren_load_u64(arg);
    char module[64];
    uint32_t module_len = (uint32_t)arg_len - 8;
    for (uint32_t i = 0; i < module_len; i++) module[i] = (char)arg[8 + i];

    uint8_t opts[16];
    warren_buf_t o;
    warren_buf_init(&o, opts, sizeof opts);
    warren_opts_deny_print(&o);

    uint8_t spec[256];
    warren_buf_t b;
    warren_buf_init(&b, spec, sizeof spec);
    warren_spec_begin(&b, WARREN_STRATEGY_ONE_FOR_ONE, WARREN_AUTO_SHUTDOWN_NEVER, 3, 5000, (uint32_t)WARREN_SPEC_NONE);
    warren_child_t child = warren_worker_child("w1", "", "sup_worker", &reporter, sizeof reporter);
    child.module = module;
    child.module_len = module_len;
    child.ack_ms = 5000;
    child.opts = opts;
    child.opts_len = o.len;
    warren_spec_child(&b, &child);
    uint8_t inner_spec[32];
    warren_buf_t inner;
    warren_buf_init(&inner, inner_spec, sizeof inner_spec);
    warren_spec_begin(&inner, WARREN_STRATEGY_ONE_FOR_ONE, WARREN_AUTO_SHUTDOWN_NEVER, 1, 1000, (uint32_t)WARREN_SPEC_NONE);
    warren_child_t nested = warren_supervisor_child("inner", inner_spec, inner.len);
    warren_spec_child(&b, &nested);
    if (inner.err != WARREN_OK || b.err != WARREN_OK || o.err != WARREN_OK) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("supervise: spec too large"));

    int64_t started[2] = {0, 0};
    warren_pid_t sup = warren_supervisor_start(spec, b.len);
    started[0] = sup;
    warren_msg_t msg;
    warren_tag_t ack = WARREN_TAG_ACK;
    if (sup > 0 && warren_receive_msg(&ack, 1, 5000, &msg, 0, 0) >= 0) started[1] = msg.sender == sup;
    report_bytes(10, started, sizeof started);

    uint8_t buf[256];
    warren_sup_reply_t reply;
    int64_t which[3] = {0, 0, 0};
    int64_t request = warren_supervisor_request(sup, WARREN_SUP_WHICH_CHILDREN, 0, 0);
    if (request > 0 && sup_reply(request, buf, sizeof buf, &reply) == WARREN_OK) {
        which[0] = 1;
        which[1] = reply.result;
        if (reply.len >= 8) which[2] = (int64_t)warren_load_u64(reply.data);
    }
    report_bytes(11, which, sizeof which);

    uint8_t record[128];
    warren_buf_t c;
    warren_buf_init(&c, record, sizeof record);
    warren_child_t second = child;
    second.id = "w2";
    second.id_len = 2;
    warren_child_record(&c, &second);
    int64_t start_result = -1;
    request = warren_supervisor_request(sup, WARREN_SUP_START_CHILD, record, c.len);
    if (request > 0 && sup_reply(request, buf, sizeof buf, &reply) == WARREN_OK) start_result = reply.result;
    report_i64(12, start_result);

    int64_t counts[4] = {-1, -1, -1, -1};
    request = warren_supervisor_request(sup, WARREN_SUP_COUNT_CHILDREN, 0, 0);
    if (request > 0 && sup_reply(request, buf, sizeof buf, &reply) == WARREN_OK && reply.len >= 16) {
        for (int i = 0; i < 4; i++) counts[i] = warren_load_u32(reply.data + 4 * i);
    }
    report_bytes(13, counts, sizeof counts);
}

/* A child spawned without the right to spawn: reports tag 20 with what
 * its own spawn returns. */
WARREN_EXPORT("try_spawn")
void try_spawn(void) {
    read_reporter();
    report_i64(20, warren_spawn(WARREN_STR("try_spawn"), &reporter, sizeof reporter));
}

/*
 * options: argument [reporter]. spawn_opts with a block built by
 * warren_opts_* (max_memory 4 MiB, max_mailbox 100, deny_spawn), linked
 * and monitored; the child (try_spawn) reports tag 20. Then reports:
 *   21 [the DOWN's reference == the one spawn_opts wrote: 1/0][its reason kind]
 *   22 spawn_opts with a block cut short: WARREN_ERR_BADARG
 */
WARREN_EXPORT("options")
void options(void) {
    read_reporter();
    uint8_t opts[64];
    warren_buf_t o;
    warren_buf_init(&o, opts, sizeof opts);
    warren_opts_max_memory(&o, 4 << 20);
    warren_opts_max_mailbox(&o, 100);
    warren_opts_deny_spawn(&o);
    warren_ref_t ref = 0;
    warren_pid_t child = warren_spawn_opts(0, 0, WARREN_STR("try_spawn"), &reporter, sizeof reporter, opts, o.len,
                                           WARREN_SPAWN_MONITOR, &ref);
    int64_t down_report[2] = {0, -1};
    uint8_t payload[256];
    warren_msg_t msg;
    warren_tag_t down_tag = WARREN_TAG_DOWN;
    warren_down_t down;
    if (child > 0 && warren_receive_msg(&down_tag, 1, WARREN_INFINITY, &msg, payload, sizeof payload) >= 0 &&
        warren_parse_down(payload, msg.copied, &down) == WARREN_OK) {
        down_report[0] = down.ref == ref && down.pid == child;
        down_report[1] = down.kind;
    }
    report_bytes(21, down_report, sizeof down_report);
    report_i64(22, warren_spawn_opts(0, 0, WARREN_STR("try_spawn"), &reporter, sizeof reporter, opts, o.len - 3, 0, 0));
}

/*
 * options_block: argument [reporter]. Sends the options blocks
 * warren_opts_* build: tag 30 the example of docs/ABI.md (max memory
 * 1 MiB, no spawning, /data read-only: 38 bytes); tag 31 one record of
 * every kind (max memory 2 MiB, max fuel 1000000, max mailbox 10, deny
 * spawn, deny print, no dirs, dir /tmp read-write, clear env, env A=1).
 */
WARREN_EXPORT("options_block")
void options_block(void) {
    read_reporter();
    uint8_t block[256];
    warren_buf_t o;
    warren_buf_init(&o, block, sizeof block);
    warren_opts_max_memory(&o, 1 << 20);
    warren_opts_deny_spawn(&o);
    warren_opts_dir(&o, 1, WARREN_STR("/data"));
    report_bytes(30, block, o.err == WARREN_OK ? o.len : 0);

    warren_buf_init(&o, block, sizeof block);
    warren_opts_max_memory(&o, 2 << 20);
    warren_opts_max_fuel(&o, 1000000);
    warren_opts_max_mailbox(&o, 10);
    warren_opts_deny_spawn(&o);
    warren_opts_deny_print(&o);
    warren_opts_no_dirs(&o);
    warren_opts_dir(&o, 0, WARREN_STR("/tmp"));
    warren_opts_clear_env(&o);
    warren_opts_env(&o, WARREN_STR("A=1"));
    report_bytes(31, block, o.err == WARREN_OK ? o.len : 0);
}
