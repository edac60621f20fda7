/*
 * term_codec.c - warren_term.h under test: tests/all/lang_c.rs compares
 * what it writes with the Rust term crate's bytes, and feeds it terms
 * (well formed or not) to read.
 *
 * Exports:
 *   encode_table  argument [reporter: i64 LE]: writes the table of terms
 *                 below and sends term i with tag i (0, 1, ...), then tag
 *                 1000 with how many (i64 LE). A term that fails to write
 *                 is sent as tag 2000 + i with the error (i64 LE).
 *   decode_echo   reads each message as a term and writes it again with
 *                 the writer (a generic copy: every kind the reader knows);
 *                 replies tag 1 with the copy, or tag 2 with the reader's
 *                 error (i64 LE). A message with tag 0 ends it.
 */
#include "warren.h"
#include "warren_term.h"

static uint8_t out[8192];
static uint8_t in[65536];

#define ATOM(w, text) warren_term_put_atom((w), WARREN_STR(text))

/* Writes term `i` of the table into `w`; 0 past the end. Keep in step
 * with `c_term_table` in tests/all/lang_c.rs. */
static int write_term(uint32_t i, warren_term_writer *w) {
    uint32_t m;
    switch (i) {
    case 0: warren_term_put_int(w, 0); break;
    case 1: warren_term_put_int(w, 255); break;
    case 2: warren_term_put_int(w, 256); break;
    case 3: warren_term_put_int(w, -1); break;
    case 4: warren_term_put_int(w, INT32_MIN); break;
    case 5: warren_term_put_int(w, INT32_MAX); break;
    case 6: warren_term_put_int(w, (int64_t)INT32_MAX + 1); break;
    case 7: warren_term_put_int(w, (int64_t)INT32_MIN - 1); break;
    case 8: warren_term_put_int(w, INT64_MAX); break;
    case 9: warren_term_put_int(w, INT64_MIN); break;
    case 10: warren_term_put_int(w, -((int64_t)1 << 40)); break;
    case 11: warren_term_put_float(w, 0.5); break;
    case 12: warren_term_put_float(w, -1.25e300); break;
    case 13: ATOM(w, "ok"); break;
    case 14: ATOM(w, ""); break;
    case 15: ATOM(w, "\xc3\xa9t\xc3\xa9"); break;            /* 'été': Latin-1, ATOM_EXT */
    case 16: ATOM(w, "\xce\xbb_x"); break;                   /* 'λ_x': SMALL_ATOM_UTF8_EXT */
    case 17: warren_term_put_binary(w, "", 0); break;
    case 18: warren_term_put_binary(w, WARREN_STR("hello")); break;
    case 19: warren_term_put_tuple(w, 0); break;
    case 20:
        warren_term_put_tuple(w, 3);
        ATOM(w, "ok");
        warren_term_put_int(w, 1);
        warren_term_put_binary(w, WARREN_STR("x"));
        break;
    case 21: m = warren_term_list_begin(w); warren_term_list_end(w, m, 0); break;
    case 22:
        m = warren_term_list_begin(w);
        for (int k = 1; k <= 3; k++) warren_term_put_int(w, k);
        warren_term_list_end(w, m, 3); /* [1,2,3]: STRING_EXT */
        break;
    case 23:
        m = warren_term_list_begin(w);
        warren_term_put_int(w, 1);
        warren_term_put_int(w, 256);
        warren_term_list_end(w, m, 2); /* LIST_EXT */
        break;
    case 24: {
        m = warren_term_list_begin(w);
        ATOM(w, "a");
        uint32_t inner = warren_term_list_begin(w);
        ATOM(w, "b");
        warren_term_list_end(w, inner, 1);
        warren_term_list_end(w, m, 2); /* [a, [b]] */
        break;
    }
    case 25: warren_term_put_string(w, WARREN_STR("abc")); break;
    case 26:
        /* #{b => 1, a => 2, 1 => x, <<"k">> => [], {t} => 0, 2.5 => y}, in no order. */
        m = warren_term_map_begin(w);
        ATOM(w, "b"); warren_term_put_int(w, 1);
        warren_term_put_binary(w, WARREN_STR("k")); warren_term_put_nil(w);
        ATOM(w, "a"); warren_term_put_int(w, 2);
        warren_term_put_tuple(w, 1); ATOM(w, "t"); warren_term_put_int(w, 0);
        warren_term_put_float(w, 2.5); ATOM(w, "y");
        warren_term_put_int(w, 1); ATOM(w, "x");
        warren_term_map_end(w, m, 6);
        break;
    case 27: m = warren_term_map_begin(w); warren_term_map_end(w, m, 0); break;
    case 28: warren_term_put_pid(w, ((int64_t)5 << 28) | 3); break;                   /* <0.3.5> */
    case 29: warren_term_put_pid(w, (((int64_t)1 << 32 | 7) << 28) | 12345); break;   /* serial past 32 bits */
    case 30: warren_term_put_ref(w, 5); break;
    case 31: warren_term_put_ref(w, 0x0123456789ABCDEFLL); break;
    case 32:
        warren_term_put_tuple(w, 256); /* LARGE_TUPLE_EXT */
        for (int k = 0; k < 256; k++) warren_term_put_int(w, k);
        break;
    case 33:
        m = warren_term_list_begin(w);
        for (int k = 0; k < 300; k++) warren_term_put_int(w, k % 256);
        warren_term_list_end(w, m, 300);
        break;
    case 34:
        /* Atom keys by code point: a < b < z < é < λ. */
        m = warren_term_map_begin(w);
        ATOM(w, "\xce\xbb"); warren_term_put_int(w, 5);
        ATOM(w, "z"); warren_term_put_int(w, 3);
        ATOM(w, "\xc3\xa9"); warren_term_put_int(w, 4);
        ATOM(w, "b"); warren_term_put_int(w, 2);
        ATOM(w, "a"); warren_term_put_int(w, 1);
        warren_term_map_end(w, m, 5);
        break;
    case 35:
        warren_term_put_tuple(w, 2);
        warren_term_put_bool(w, 1);
        warren_term_put_bool(w, 0);
        break;
    case 36: {
        /* Nested maps as keys and values; integer keys by value, negative first. */
        m = warren_term_map_begin(w);
        uint32_t inner = warren_term_map_begin(w);
        ATOM(w, "k"); warren_term_put_int(w, 1);
        warren_term_map_end(w, inner, 1);
        ATOM(w, "map_key");
        warren_term_put_int(w, 300); ATOM(w, "big");
        warren_term_put_int(w, -5); ATOM(w, "negative");
        warren_term_put_int(w, (int64_t)1 << 40); ATOM(w, "huge");
        warren_term_put_binary(w, WARREN_STR("ab")); ATOM(w, "longer");
        warren_term_put_binary(w, WARREN_STR("a")); ATOM(w, "shorter");
        warren_term_map_end(w, m, 6);
        break;
    }
    default: return 0;
    }
    return 1;
}

WARREN_EXPORT("encode_table")
void encode_table(void) {
    warren_pid_t reporter;
    if (warren_arg_read(&reporter, sizeof reporter) != (int32_t)sizeof reporter) return;
    int64_t count = 0;
    for (;; count++) {
        warren_term_writer w;
        warren_term_writer_init(&w, out, sizeof out);
        if (!write_term((uint32_t)count, &w)) break;
        int32_t len = warren_term_writer_finish(&w);
        if (len < 0) {
            int64_t err = len;
            warren_send(reporter, 2000 + count, &err, sizeof err);
        } else {
            warren_send(reporter, count, out, (uint32_t)len);
        }
    }
    warren_send(reporter, 1000, &count, sizeof count);
}

static char atom_text[1024];

/* Copies the next term of `r` to `w`, kind by kind. */
static int32_t copy(warren_term_reader *r, warren_term_writer *w, uint32_t depth) {
    if (depth > WARREN_TERM_MAX_DEPTH) return WARREN_TERM_ERR_MALFORMED;
    int32_t kind = warren_term_kind(r);
    int32_t rc = WARREN_TERM_OK;
    uint32_t n;
    uint32_t m;
    switch (kind) {
    case WARREN_TERM_INTEGER:
    case WARREN_TERM_BIGINT: {
        int64_t v;
        rc = warren_term_get_int(r, &v);
        if (rc == WARREN_TERM_OK) warren_term_put_int(w, v);
        return rc;
    }
    case WARREN_TERM_FLOAT: {
        double v;
        rc = warren_term_get_float(r, &v);
        if (rc == WARREN_TERM_OK) warren_term_put_float(w, v);
        return rc;
    }
    case WARREN_TERM_ATOM:
        rc = warren_term_get_atom(r, atom_text, sizeof atom_text, &n);
        if (rc == WARREN_TERM_OK) warren_term_put_atom(w, atom_text, n);
        return rc;
    case WARREN_TERM_BINARY: {
        const uint8_t *data;
        rc = warren_term_get_binary(r, &data, &n);
        if (rc == WARREN_TERM_OK) warren_term_put_binary(w, data, n);
        return rc;
    }
    case WARREN_TERM_STRING: {
        const uint8_t *data;
        rc = warren_term_get_string(r, &data, &n);
        if (rc == WARREN_TERM_OK) warren_term_put_string(w, data, n);
        return rc;
    }
    case WARREN_TERM_TUPLE:
        rc = warren_term_get_tuple(r, &n);
        if (rc == WARREN_TERM_OK) warren_term_put_tuple(w, n);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < n; i++) rc = copy(r, w, depth + 1);
        return rc;
    case WARREN_TERM_NIL:
    case WARREN_TERM_LIST:
        rc = warren_term_get_list(r, &n);
        if (rc != WARREN_TERM_OK) return rc;
        m = warren_term_list_begin(w);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < n; i++) rc = copy(r, w, depth + 1);
        if (rc == WARREN_TERM_OK && n > 0) {
            rc = warren_term_get_nil(r);
            if (rc == WARREN_TERM_ERR_TYPE) rc = WARREN_TERM_ERR_UNSUPPORTED; /* an improper list */
        }
        if (rc == WARREN_TERM_OK) warren_term_list_end(w, m, n);
        return rc;
    case WARREN_TERM_MAP:
        rc = warren_term_get_map(r, &n);
        if (rc != WARREN_TERM_OK) return rc;
        m = warren_term_map_begin(w);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < 2 * n; i++) rc = copy(r, w, depth + 1);
        if (rc == WARREN_TERM_OK) warren_term_map_end(w, m, n);
        return rc;
    case WARREN_TERM_PID: {
        int64_t pid;
        rc = warren_term_get_pid(r, &pid);
        if (rc == WARREN_TERM_OK) warren_term_put_pid(w, pid);
        return rc;
    }
    case WARREN_TERM_REF: {
        int64_t ref;
        rc = warren_term_get_ref(r, &ref);
        if (rc == WARREN_TERM_OK) warren_term_put_ref(w, ref);
        return rc;
    }
    default:
        return kind < 0 ? kind : WARREN_TERM_ERR_UNSUPPORTED;
    }
}

WARREN_EXPORT("decode_echo")
void decode_echo(void) {
    for (;;) {
        warren_msg_t msg;
        if (warren_receive_msg(0, 0, WARREN_INFINITY, &msg, in, sizeof in) < 0) continue;
        if (msg.tag == 0) return;
        warren_term_reader r;
        warren_term_writer w;
        warren_term_writer_init(&w, out, sizeof out);
        int32_t rc = msg.size > sizeof in ? WARREN_TERM_ERR_OVERFLOW : warren_term_reader_init(&r, in, msg.size);
        if (rc == WARREN_TERM_OK) rc = copy(&r, &w, 0);
        if (rc == WARREN_TERM_OK && !warren_term_reader_done(&r)) rc = WARREN_TERM_ERR_MALFORMED;
        if (rc == WARREN_TERM_OK) rc = warren_term_writer_finish(&w);
        if (rc >= 0) {
            warren_send(msg.sender, 1, out, (uint32_t)rc);
        } else {
            int64_t err = rc;
            warren_send(msg.sender, 2, &err, sizeof err);
        }
    }
}

/*
 * encode_bounds  argument [reporter: i64 LE]: writes each term of the table
 *                into buffers of every size below its length: each must
 *                fail with WARREN_TERM_ERR_OVERFLOW without touching a byte
 *                past the buffer, and the exact size must give the same
 *                bytes as a large buffer. Reports tag 1 [terms][sizes
 *                tried][failures].
 */
WARREN_EXPORT("encode_bounds")
void encode_bounds(void) {
    static uint8_t whole[8192];
    static uint8_t small[8192 + 16];
    warren_pid_t reporter;
    if (warren_arg_read(&reporter, sizeof reporter) != (int32_t)sizeof reporter) return;
    int64_t report[3] = {0, 0, 0};
    for (uint32_t i = 0;; i++) {
        warren_term_writer w;
        warren_term_writer_init(&w, whole, sizeof whole);
        if (!write_term(i, &w)) break;
        int32_t len = warren_term_writer_finish(&w);
        if (len < 0) {
            report[2]++;
            continue;
        }
        report[0]++;
        for (uint32_t cap = 0; cap <= (uint32_t)len; cap++) {
            report[1]++;
            for (uint32_t k = 0; k < cap + 16; k++) small[k] = 0xAA;
            warren_term_writer_init(&w, small, cap);
            write_term(i, &w);
            int32_t got = warren_term_writer_finish(&w);
            int ok = cap < (uint32_t)len ? got == WARREN_TERM_ERR_OVERFLOW : got == len;
            for (uint32_t k = cap; k < cap + 16; k++) ok &= small[k] == 0xAA;
            for (uint32_t k = 0; ok && cap == (uint32_t)len && k < cap; k++) ok &= small[k] == whole[k];
            if (!ok) report[2]++;
        }
    }
    warren_send(reporter, 1, report, sizeof report);
}
