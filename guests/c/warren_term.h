/*
 * warren_term.h - Erlang's External Term Format (version 131) for C guests:
 * the structured message format of Warren (docs/ABI.md "Terms"), written
 * byte for byte as Erlang/OTP 25's term_to_binary/1 writes it, and read
 * as binary_to_term/1 reads the subset Warren uses.
 *
 * Header only and freestanding (no libc, no allocation): include it after
 * warren.h or alone. Every function is `static inline`; a guest keeps only
 * what it uses.
 *
 * Writing, into a buffer the caller owns (a write past its end writes
 * nothing more and makes the writer fail with WARREN_TERM_ERR_OVERFLOW;
 * check once at the end with warren_term_writer_finish):
 *
 *   uint8_t buf[64];
 *   warren_term_writer w;
 *   warren_term_writer_init(&w, buf, sizeof buf);      // the version byte
 *   warren_term_put_tuple(&w, 2);                       // {
 *   warren_term_put_atom(&w, WARREN_STR("add"));        //   add,
 *   warren_term_put_int(&w, 5);                         //   5}
 *   int32_t len = warren_term_writer_finish(&w);        // or an error
 *
 * Lists and maps are written between a begin and an end, which rewrites
 * them as Erlang would: a list of small integers 0..255 becomes STRING_EXT,
 * an empty one NIL_EXT, and a map's pairs are sorted by key in Erlang's term
 * order (a key twice is WARREN_TERM_ERR_RANGE):
 *
 *   uint32_t m = warren_term_map_begin(&w);
 *   ... key, value, key, value ...
 *   warren_term_map_end(&w, m, 2);
 *
 * Reading never reads past its input; a malformed term is
 * WARREN_TERM_ERR_MALFORMED, never a trap. A get function that fails leaves
 * the reader where it was. Atoms and binaries are returned as pointers into
 * the input.
 *
 *   warren_term_reader r;
 *   uint32_t arity; int64_t n;
 *   if (warren_term_reader_init(&r, msg, len) == WARREN_TERM_OK &&
 *       warren_term_get_tuple(&r, &arity) == WARREN_TERM_OK && arity == 2 &&
 *       warren_term_match_atom(&r, WARREN_STR("add")) == 1 &&
 *       warren_term_get_int(&r, &n) == WARREN_TERM_OK) { ... }
 */
#ifndef WARREN_TERM_H
#define WARREN_TERM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Results of the term functions (0 or negative). */
enum {
    WARREN_TERM_OK = 0,
    WARREN_TERM_ERR_OVERFLOW = -1,    /* writing: the buffer is full */
    WARREN_TERM_ERR_MALFORMED = -2,   /* reading: not a term (cut short, a bad length, nested too deep) */
    WARREN_TERM_ERR_TYPE = -3,        /* reading: another kind of term is there */
    WARREN_TERM_ERR_RANGE = -4,       /* an integer outside i64, a pid or reference of another node, a
                                         float that is not finite, a bad atom, a key twice in a map */
    WARREN_TERM_ERR_UNSUPPORTED = -5  /* a tag outside Warren's subset (compressed, funs, ports) */
};

/* The kinds of term warren_term_kind reports. */
enum {
    WARREN_TERM_INTEGER = 1, /* fits an int64_t: warren_term_get_int */
    WARREN_TERM_BIGINT,      /* an integer outside int64_t (skip it) */
    WARREN_TERM_FLOAT,       /* warren_term_get_float */
    WARREN_TERM_ATOM,        /* warren_term_get_atom, warren_term_match_atom */
    WARREN_TERM_BINARY,      /* warren_term_get_binary */
    WARREN_TERM_TUPLE,       /* warren_term_get_tuple, then its elements */
    WARREN_TERM_NIL,         /* [] (warren_term_get_list gives 0 elements) */
    WARREN_TERM_LIST,        /* warren_term_get_list, the elements, then warren_term_get_nil */
    WARREN_TERM_STRING,      /* a list of integers 0..255 (STRING_EXT): warren_term_get_string */
    WARREN_TERM_MAP,         /* warren_term_get_map, then key, value, key, value... */
    WARREN_TERM_PID,         /* warren_term_get_pid */
    WARREN_TERM_REF          /* warren_term_get_ref */
};

/* Decoders refuse terms nested deeper than this (as the Rust decoder). */
#define WARREN_TERM_MAX_DEPTH 128

/* The tags of the format (docs/ABI.md "Terms"). */
enum {
    WARREN_ETF_VERSION = 131,
    WARREN_ETF_NEW_FLOAT = 70,
    WARREN_ETF_NEW_PID = 88,
    WARREN_ETF_NEWER_REFERENCE = 90,
    WARREN_ETF_SMALL_INTEGER = 97,
    WARREN_ETF_INTEGER = 98,
    WARREN_ETF_FLOAT = 99,
    WARREN_ETF_ATOM = 100,
    WARREN_ETF_REFERENCE = 101,
    WARREN_ETF_PID = 103,
    WARREN_ETF_SMALL_TUPLE = 104,
    WARREN_ETF_LARGE_TUPLE = 105,
    WARREN_ETF_NIL = 106,
    WARREN_ETF_STRING = 107,
    WARREN_ETF_LIST = 108,
    WARREN_ETF_BINARY = 109,
    WARREN_ETF_SMALL_BIG = 110,
    WARREN_ETF_LARGE_BIG = 111,
    WARREN_ETF_NEW_REFERENCE = 114,
    WARREN_ETF_SMALL_ATOM = 115,
    WARREN_ETF_MAP = 116,
    WARREN_ETF_ATOM_UTF8 = 118,
    WARREN_ETF_SMALL_ATOM_UTF8 = 119
};

/* ================================================================ writing */

/* A writer into a caller's buffer. */
typedef struct {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;         /* bytes written so far */
    int32_t err;          /* WARREN_TERM_OK, or the first error */
    uint32_t string_mark; /* the open list still written as STRING_EXT, or UINT32_MAX */
} warren_term_writer;

static inline void warren_term__put(warren_term_writer *w, const void *src, uint32_t n) {
    if (w->err != WARREN_TERM_OK) return;
    if (n > w->cap - w->len) {
        w->err = WARREN_TERM_ERR_OVERFLOW;
        return;
    }
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t i = 0; i < n; i++) w->buf[w->len + i] = s[i];
    w->len += n;
}

static inline void warren_term__u8(warren_term_writer *w, uint8_t v) { warren_term__put(w, &v, 1); }

static inline void warren_term__be16(warren_term_writer *w, uint16_t v) {
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    warren_term__put(w, b, 2);
}

static inline void warren_term__be32(warren_term_writer *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    warren_term__put(w, b, 4);
}

static inline void warren_term__fail(warren_term_writer *w, int32_t err) {
    if (w->err == WARREN_TERM_OK) w->err = err;
}

/*
 * A list is written as STRING_EXT while every element put into it is an
 * integer 0..255 (at most 65535 of them): [107] alone while it is empty,
 * then [107][count: u16][bytes]. So a term never needs more room while it
 * is written than once it is done. Any other element first rewrites the
 * open list as LIST_EXT, [108][count: u32][97 b]..., which is no larger
 * than the list will be. Only the innermost open list can be in this
 * state: the first other element (a nested list included) ends it.
 */
#define WARREN_TERM__NO_STRING UINT32_MAX

/* Rewrites the open STRING_EXT list, if any, as LIST_EXT. */
static inline void warren_term__element(warren_term_writer *w) {
    uint32_t mark = w->string_mark;
    if (mark == WARREN_TERM__NO_STRING) return;
    w->string_mark = WARREN_TERM__NO_STRING;
    if (w->err != WARREN_TERM_OK) return;
    uint8_t *b = w->buf;
    uint32_t k = w->len - mark == 1 ? 0 : w->len - mark - 3;
    uint32_t grown = mark + 5 + 2 * k;
    if (grown > w->cap) {
        w->err = WARREN_TERM_ERR_OVERFLOW;
        return;
    }
    /* Back to front: each byte moves up, to where nothing unread is. */
    for (uint32_t i = k; i-- > 0;) {
        uint8_t v = b[mark + 3 + i];
        b[mark + 5 + 2 * i] = WARREN_ETF_SMALL_INTEGER;
        b[mark + 5 + 2 * i + 1] = v;
    }
    b[mark] = WARREN_ETF_LIST;
    b[mark + 1] = (uint8_t)(k >> 24);
    b[mark + 2] = (uint8_t)(k >> 16);
    b[mark + 3] = (uint8_t)(k >> 8);
    b[mark + 4] = (uint8_t)k;
    w->len = grown;
}

/* Starts a term in `buf` (`cap` bytes): writes the version byte. */
static inline void warren_term_writer_init(warren_term_writer *w, void *buf, uint32_t cap) {
    w->buf = (uint8_t *)buf;
    w->cap = cap;
    w->len = 0;
    w->err = WARREN_TERM_OK;
    w->string_mark = WARREN_TERM__NO_STRING;
    warren_term__u8(w, WARREN_ETF_VERSION);
}

/* The term's length in bytes, or the writer's first error (< 0). */
static inline int32_t warren_term_writer_finish(const warren_term_writer *w) {
    return w->err != WARREN_TERM_OK ? w->err : (int32_t)w->len;
}

/* An integer, with the smallest tag: SMALL_INTEGER_EXT (0..255),
 * INTEGER_EXT (i32), else SMALL_BIG_EXT. */
static inline void warren_term_put_int(warren_term_writer *w, int64_t v) {
    uint32_t mark = w->string_mark;
    if (mark != WARREN_TERM__NO_STRING && v >= 0 && v <= 255 && w->err == WARREN_TERM_OK &&
        (w->len - mark == 1 || w->len - mark - 3 < 65535)) {
        /* An element of the open STRING_EXT list (its count, written at
         * its end, gets its two bytes with the first element). */
        if (w->len - mark == 1) warren_term__be16(w, 0);
        warren_term__u8(w, (uint8_t)v);
        return;
    }
    warren_term__element(w);
    if (v >= 0 && v <= 255) {
        warren_term__u8(w, WARREN_ETF_SMALL_INTEGER);
        warren_term__u8(w, (uint8_t)v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        warren_term__u8(w, WARREN_ETF_INTEGER);
        warren_term__be32(w, (uint32_t)(int32_t)v);
    } else {
        uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        uint8_t digits[8];
        uint8_t n = 0;
        while (magnitude != 0) {
            digits[n++] = (uint8_t)magnitude;
            magnitude >>= 8;
        }
        warren_term__u8(w, WARREN_ETF_SMALL_BIG);
        warren_term__u8(w, n);
        warren_term__u8(w, v < 0 ? 1 : 0);
        warren_term__put(w, digits, n);
    }
}

/* A float (NEW_FLOAT_EXT); NaN and the infinities are WARREN_TERM_ERR_RANGE,
 * as Erlang has none. */
static inline void warren_term_put_float(warren_term_writer *w, double v) {
    warren_term__element(w);
    union { double d; uint64_t u; } bits;
    bits.d = v;
    if (((bits.u >> 52) & 0x7FF) == 0x7FF) {
        warren_term__fail(w, WARREN_TERM_ERR_RANGE);
        return;
    }
    warren_term__u8(w, WARREN_ETF_NEW_FLOAT);
    warren_term__be32(w, (uint32_t)(bits.u >> 32));
    warren_term__be32(w, (uint32_t)bits.u);
}

/* Decodes the UTF-8 character at text[*i] (advancing *i); -1 if malformed. */
static inline int32_t warren_term__utf8_next(const uint8_t *text, uint32_t len, uint32_t *i) {
    uint8_t c = text[*i];
    uint32_t need;
    int32_t cp;
    int32_t min;
    if (c < 0x80) { *i += 1; return c; }
    if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return -1;
    if (len - *i - 1 < need) return -1;
    for (uint32_t k = 1; k <= need; k++) {
        uint8_t d = text[*i + k];
        if ((d & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (d & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    *i += need + 1;
    return cp;
}

/* An atom of UTF-8 text (at most 255 characters): ATOM_EXT with Latin-1
 * bytes when every character is Latin-1, else SMALL_ATOM_UTF8_EXT (or
 * ATOM_UTF8_EXT past 255 bytes). Bad UTF-8 or too long: WARREN_TERM_ERR_RANGE. */
static inline void warren_term_put_atom(warren_term_writer *w, const char *name, uint32_t len) {
    warren_term__element(w);
    const uint8_t *text = (const uint8_t *)name;
    uint32_t chars = 0;
    int32_t max = 0;
    for (uint32_t i = 0; i < len;) {
        int32_t cp = warren_term__utf8_next(text, len, &i);
        if (cp < 0) {
            warren_term__fail(w, WARREN_TERM_ERR_RANGE);
            return;
        }
        if (cp > max) max = cp;
        chars++;
    }
    if (chars > 255) {
        warren_term__fail(w, WARREN_TERM_ERR_RANGE);
        return;
    }
    if (max <= 0xFF) {
        warren_term__u8(w, WARREN_ETF_ATOM);
        warren_term__be16(w, (uint16_t)chars);
        for (uint32_t i = 0; i < len;) warren_term__u8(w, (uint8_t)warren_term__utf8_next(text, len, &i));
    } else if (len <= 255) {
        warren_term__u8(w, WARREN_ETF_SMALL_ATOM_UTF8);
        warren_term__u8(w, (uint8_t)len);
        warren_term__put(w, text, len);
    } else {
        warren_term__u8(w, WARREN_ETF_ATOM_UTF8);
        warren_term__be16(w, (uint16_t)len);
        warren_term__put(w, text, len);
    }
}

/* The atom `true` or `false`. */
static inline void warren_term_put_bool(warren_term_writer *w, int v) {
    if (v) warren_term_put_atom(w, "true", 4);
    else warren_term_put_atom(w, "false", 5);
}

/* A binary (an Elixir string, when the bytes are UTF-8). */
static inline void warren_term_put_binary(warren_term_writer *w, const void *data, uint32_t len) {
    warren_term__element(w);
    warren_term__u8(w, WARREN_ETF_BINARY);
    warren_term__be32(w, len);
    warren_term__put(w, data, len);
}

/* A tuple's head: then write its `arity` elements. */
static inline void warren_term_put_tuple(warren_term_writer *w, uint32_t arity) {
    warren_term__element(w);
    if (arity <= 255) {
        warren_term__u8(w, WARREN_ETF_SMALL_TUPLE);
        warren_term__u8(w, (uint8_t)arity);
    } else {
        warren_term__u8(w, WARREN_ETF_LARGE_TUPLE);
        warren_term__be32(w, arity);
    }
}

/* The empty list []. */
static inline void warren_term_put_nil(warren_term_writer *w) {
    warren_term__element(w);
    warren_term__u8(w, WARREN_ETF_NIL);
}

/* The list of the integers `bytes` (0..255 each), as Erlang writes it:
 * [] when empty, STRING_EXT up to 65535 elements, else LIST_EXT. */
static inline void warren_term_put_string(warren_term_writer *w, const void *bytes, uint32_t len) {
    warren_term__element(w);
    const uint8_t *b = (const uint8_t *)bytes;
    if (len == 0) {
        warren_term_put_nil(w);
    } else if (len <= 65535) {
        warren_term__u8(w, WARREN_ETF_STRING);
        warren_term__be16(w, (uint16_t)len);
        warren_term__put(w, b, len);
    } else {
        warren_term__u8(w, WARREN_ETF_LIST);
        warren_term__be32(w, len);
        for (uint32_t i = 0; i < len; i++) warren_term_put_int(w, b[i]);
        warren_term_put_nil(w);
    }
}

/* Starts a proper list: write its elements, then warren_term_list_end with
 * the mark this returns. */
static inline uint32_t warren_term_list_begin(warren_term_writer *w) {
    warren_term__element(w);
    uint32_t mark = w->len;
    warren_term__u8(w, WARREN_ETF_STRING);
    if (w->err == WARREN_TERM_OK) w->string_mark = mark;
    return mark;
}

/* Ends the list begun at `mark`, of `count` elements, as Erlang writes it:
 * [] if empty, STRING_EXT if every element is an integer 0..255 (at most
 * 65535), else LIST_EXT with its [] tail. A count that is not the number
 * of elements written is WARREN_TERM_ERR_RANGE when the writer can tell. */
static inline void warren_term_list_end(warren_term_writer *w, uint32_t mark, uint32_t count) {
    if (w->err != WARREN_TERM_OK) return;
    uint8_t *b = w->buf;
    if (w->string_mark == mark) {
        w->string_mark = WARREN_TERM__NO_STRING;
        uint32_t k = w->len - mark == 1 ? 0 : w->len - mark - 3;
        if (k != count) {
            w->err = WARREN_TERM_ERR_RANGE;
        } else if (k == 0) {
            b[mark] = WARREN_ETF_NIL;
        } else {
            b[mark + 1] = (uint8_t)(k >> 8);
            b[mark + 2] = (uint8_t)k;
        }
        return;
    }
    if (w->string_mark != WARREN_TERM__NO_STRING || b[mark] != WARREN_ETF_LIST) {
        /* A list inside this one is still open, or `mark` is no list's. */
        w->err = WARREN_TERM_ERR_RANGE;
        return;
    }
    b[mark + 1] = (uint8_t)(count >> 24);
    b[mark + 2] = (uint8_t)(count >> 16);
    b[mark + 3] = (uint8_t)(count >> 8);
    b[mark + 4] = (uint8_t)count;
    warren_term__u8(w, WARREN_ETF_NIL);
}

/* Starts a map: write its pairs (key, value, key, value...), then
 * warren_term_map_end with the mark this returns. */
static inline uint32_t warren_term_map_begin(warren_term_writer *w) {
    warren_term__element(w);
    uint32_t mark = w->len;
    warren_term__u8(w, WARREN_ETF_MAP);
    warren_term__be32(w, 0);
    return mark;
}

static inline void warren_term_map_end(warren_term_writer *w, uint32_t mark, uint32_t count);

/* A Warren pid (NEW_PID_EXT of node nonode@nohost, creation 0); a
 * malformed pid (below 2^28) is WARREN_TERM_ERR_RANGE. */
static inline void warren_term_put_pid(warren_term_writer *w, int64_t pid) {
    if (pid < ((int64_t)1 << 28)) {
        warren_term__fail(w, WARREN_TERM_ERR_RANGE);
        return;
    }
    warren_term__element(w);
    uint64_t raw = (uint64_t)pid;
    uint64_t index = raw & ((1u << 28) - 1);
    uint64_t serial = raw >> 28;
    warren_term__u8(w, WARREN_ETF_NEW_PID);
    warren_term_put_atom(w, "nonode@nohost", 13);
    warren_term__be32(w, (uint32_t)(index | ((serial >> 32) << 28)));
    warren_term__be32(w, (uint32_t)serial);
    warren_term__be32(w, 0);
}

/* A Warren reference (monitor, timer): NEWER_REFERENCE_EXT of node
 * nonode@nohost, creation 0, three words as Erlang lays out its own. */
static inline void warren_term_put_ref(warren_term_writer *w, int64_t ref) {
    warren_term__element(w);
    uint64_t raw = (uint64_t)ref;
    warren_term__u8(w, WARREN_ETF_NEWER_REFERENCE);
    warren_term__be16(w, 3);
    warren_term_put_atom(w, "nonode@nohost", 13);
    warren_term__be32(w, 0);
    warren_term__be32(w, (uint32_t)(raw & 0x3FFFF));
    warren_term__be32(w, (uint32_t)(raw >> 18));
    warren_term__be32(w, (uint32_t)(raw >> 50));
}

/* ================================================================ reading */

/* A reader over `len` bytes of a term. */
typedef struct {
    const uint8_t *buf;
    uint32_t len;
    uint32_t pos; /* the next byte to read */
} warren_term_reader;

/* Starts reading the term at `buf`: checks the version byte (131). */
static inline int32_t warren_term_reader_init(warren_term_reader *r, const void *buf, uint32_t len) {
    r->buf = (const uint8_t *)buf;
    r->len = len;
    r->pos = 0;
    if (len < 1 || r->buf[0] != WARREN_ETF_VERSION) return WARREN_TERM_ERR_MALFORMED;
    r->pos = 1;
    return WARREN_TERM_OK;
}

/* Whether every byte of the input was read. */
static inline int warren_term_reader_done(const warren_term_reader *r) { return r->pos == r->len; }

static inline int warren_term__has(const warren_term_reader *r, uint32_t at, uint32_t n) {
    return at <= r->len && n <= r->len - at;
}
static inline uint32_t warren_term__rd16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static inline uint32_t warren_term__rd32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The atom at `at`: its text (Latin-1 if *latin1, else UTF-8) and the
 * position after it; WARREN_TERM_ERR_TYPE if no atom is there. */
static inline int32_t warren_term__atom_at(const warren_term_reader *r, uint32_t at, const uint8_t **text,
                                           uint32_t *len, int *latin1, uint32_t *next) {
    if (!warren_term__has(r, at, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[at];
    uint32_t head;
    uint32_t n;
    if (tag == WARREN_ETF_ATOM || tag == WARREN_ETF_ATOM_UTF8) {
        if (!warren_term__has(r, at + 1, 2)) return WARREN_TERM_ERR_MALFORMED;
        n = warren_term__rd16(r->buf + at + 1);
        head = 3;
    } else if (tag == WARREN_ETF_SMALL_ATOM || tag == WARREN_ETF_SMALL_ATOM_UTF8) {
        if (!warren_term__has(r, at + 1, 1)) return WARREN_TERM_ERR_MALFORMED;
        n = r->buf[at + 1];
        head = 2;
    } else {
        return WARREN_TERM_ERR_TYPE;
    }
    if (!warren_term__has(r, at + head, n)) return WARREN_TERM_ERR_MALFORMED;
    *latin1 = tag == WARREN_ETF_ATOM || tag == WARREN_ETF_SMALL_ATOM;
    *text = r->buf + at + head;
    *len = n;
    if (!*latin1) {
        for (uint32_t i = 0; i < n;) {
            if (warren_term__utf8_next(*text, n, &i) < 0) return WARREN_TERM_ERR_MALFORMED;
        }
    }
    *next = at + head + n;
    return WARREN_TERM_OK;
}

/* Whether the atom's text (Latin-1 or UTF-8) is the UTF-8 `name`. */
static inline int warren_term__atom_is(const uint8_t *text, uint32_t len, int latin1, const uint8_t *name,
                                       uint32_t name_len) {
    uint32_t i = 0;
    uint32_t j = 0;
    while (i < len && j < name_len) {
        int32_t a = latin1 ? text[i++] : warren_term__utf8_next(text, len, &i);
        int32_t b = warren_term__utf8_next(name, name_len, &j);
        if (a != b || b < 0) return 0;
    }
    return i == len && j == name_len;
}

/* The kind of the next term (WARREN_TERM_INTEGER...), or an error. */
static inline int32_t warren_term_kind(const warren_term_reader *r) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    const uint8_t *p = r->buf + r->pos;
    switch (p[0]) {
    case WARREN_ETF_SMALL_INTEGER:
    case WARREN_ETF_INTEGER:
        return WARREN_TERM_INTEGER;
    case WARREN_ETF_SMALL_BIG:
    case WARREN_ETF_LARGE_BIG: {
        /* An integer of at most 8 significant digits may fit int64_t. */
        uint32_t n;
        uint32_t head;
        if (p[0] == WARREN_ETF_SMALL_BIG) {
            if (!warren_term__has(r, r->pos, 3)) return WARREN_TERM_ERR_MALFORMED;
            n = p[1];
            head = 3;
        } else {
            if (!warren_term__has(r, r->pos, 6)) return WARREN_TERM_ERR_MALFORMED;
            n = warren_term__rd32(p + 1);
            head = 6;
        }
        if (!warren_term__has(r, r->pos + head, n)) return WARREN_TERM_ERR_MALFORMED;
        if (p[head - 1] > 1) return WARREN_TERM_ERR_MALFORMED; /* the sign: 0 or 1 */
        uint32_t top = n;
        while (top > 0 && p[head + top - 1] == 0) top--;
        if (top < 8) return WARREN_TERM_INTEGER;
        if (top > 8) return WARREN_TERM_BIGINT;
        uint64_t magnitude = 0;
        for (uint32_t i = 8; i-- > 0;) magnitude = magnitude << 8 | p[head + i];
        uint64_t limit = p[head - 1] ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
        return magnitude <= limit ? WARREN_TERM_INTEGER : WARREN_TERM_BIGINT;
    }
    case WARREN_ETF_NEW_FLOAT:
    case WARREN_ETF_FLOAT:
        return WARREN_TERM_FLOAT;
    case WARREN_ETF_ATOM:
    case WARREN_ETF_SMALL_ATOM:
    case WARREN_ETF_ATOM_UTF8:
    case WARREN_ETF_SMALL_ATOM_UTF8:
        return WARREN_TERM_ATOM;
    case WARREN_ETF_BINARY:
        return WARREN_TERM_BINARY;
    case WARREN_ETF_SMALL_TUPLE:
    case WARREN_ETF_LARGE_TUPLE:
        return WARREN_TERM_TUPLE;
    case WARREN_ETF_NIL:
        return WARREN_TERM_NIL;
    case WARREN_ETF_LIST:
        return WARREN_TERM_LIST;
    case WARREN_ETF_STRING:
        return WARREN_TERM_STRING;
    case WARREN_ETF_MAP:
        return WARREN_TERM_MAP;
    case WARREN_ETF_NEW_PID:
    case WARREN_ETF_PID:
        return WARREN_TERM_PID;
    case WARREN_ETF_NEWER_REFERENCE:
    case WARREN_ETF_NEW_REFERENCE:
    case WARREN_ETF_REFERENCE:
        return WARREN_TERM_REF;
    default:
        return WARREN_TERM_ERR_UNSUPPORTED;
    }
}

/* An integer that fits int64_t (any integer tag); WARREN_TERM_ERR_RANGE
 * for a larger one. */
static inline int32_t warren_term_get_int(warren_term_reader *r, int64_t *out) {
    int32_t kind = warren_term_kind(r);
    if (kind < 0) return kind;
    if (kind == WARREN_TERM_BIGINT) return WARREN_TERM_ERR_RANGE;
    if (kind != WARREN_TERM_INTEGER) return WARREN_TERM_ERR_TYPE;
    const uint8_t *p = r->buf + r->pos;
    if (p[0] == WARREN_ETF_SMALL_INTEGER) {
        if (!warren_term__has(r, r->pos, 2)) return WARREN_TERM_ERR_MALFORMED;
        *out = p[1];
        r->pos += 2;
    } else if (p[0] == WARREN_ETF_INTEGER) {
        if (!warren_term__has(r, r->pos, 5)) return WARREN_TERM_ERR_MALFORMED;
        *out = (int32_t)warren_term__rd32(p + 1);
        r->pos += 5;
    } else {
        /* warren_term_kind checked the bounds and that it fits. */
        uint32_t n = p[0] == WARREN_ETF_SMALL_BIG ? p[1] : warren_term__rd32(p + 1);
        uint32_t head = p[0] == WARREN_ETF_SMALL_BIG ? 3 : 6;
        uint64_t magnitude = 0;
        for (uint32_t i = n; i-- > 0;) {
            if (i < 8) magnitude = magnitude << 8 | p[head + i];
        }
        *out = p[head - 1] ? (int64_t)((uint64_t)0 - magnitude) : (int64_t)magnitude;
        r->pos += head + n;
    }
    return WARREN_TERM_OK;
}

/* ------------------------------------------------- FLOAT_EXT's decimal text */

/* A natural number in little-endian 32-bit limbs, for reading FLOAT_EXT's
 * text exactly: at most 31 digits times 10^400 and a shift, under 1,600 bits. */
#define WARREN_TERM__LIMBS 56
typedef struct {
    uint32_t d[WARREN_TERM__LIMBS];
    uint32_t n; /* limbs in use; the top one is non-zero */
} warren_term__big;

static inline void warren_term__big_set(warren_term__big *a, uint64_t v) {
    a->n = 0;
    while (v != 0) {
        a->d[a->n++] = (uint32_t)v;
        v >>= 32;
    }
}

/* a = a * m + add; 0, or -1 past the limbs. */
static inline int warren_term__big_mul_add(warren_term__big *a, uint32_t m, uint32_t add) {
    uint64_t carry = add;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry != 0) {
        if (a->n == WARREN_TERM__LIMBS) return -1;
        a->d[a->n++] = (uint32_t)carry;
    }
    return 0;
}

static inline uint32_t warren_term__big_bits(const warren_term__big *a) {
    if (a->n == 0) return 0;
    return 32 * (a->n - 1) + (32 - (uint32_t)__builtin_clz(a->d[a->n - 1]));
}

static inline int warren_term__big_bit(const warren_term__big *a, uint32_t i) {
    return i / 32 < a->n ? (int)((a->d[i / 32] >> (i % 32)) & 1) : 0;
}

/* a <<= k; 0, or -1 past the limbs. */
static inline int warren_term__big_shl(warren_term__big *a, uint32_t k) {
    if (a->n == 0) return 0;
    uint32_t limbs = k / 32, bits = k % 32;
    uint32_t n = a->n + limbs + 1;
    if (n > WARREN_TERM__LIMBS) return -1;
    for (uint32_t i = n; i-- > 0;) {
        uint64_t hi = i >= limbs && i - limbs < a->n ? a->d[i - limbs] : 0;
        uint64_t lo = i >= limbs + 1 && i - limbs - 1 < a->n ? a->d[i - limbs - 1] : 0;
        a->d[i] = bits ? (uint32_t)((hi << bits) | (lo >> (32 - bits))) : (uint32_t)hi;
    }
    a->n = n;
    while (a->n > 0 && a->d[a->n - 1] == 0) a->n--;
    return 0;
}

static inline int warren_term__big_cmp(const warren_term__big *a, const warren_term__big *b) {
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    for (uint32_t i = a->n; i-- > 0;) {
        if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
    }
    return 0;
}

/* a -= b, for a >= b. */
static inline void warren_term__big_sub(warren_term__big *a, const warren_term__big *b) {
    int64_t borrow = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
        borrow = t < 0;
        a->d[i] = (uint32_t)(t + (borrow << 32));
    }
    while (a->n > 0 && a->d[a->n - 1] == 0) a->n--;
}

/*
 * FLOAT_EXT's text ("%.20e", NUL-padded to 31 bytes) as the nearest double,
 * ties to even, as the Rust crate reads it (Rust's own f64 parsing): up to
 * the first NUL, ASCII spaces trimmed, [+-]digits[.digits][(e|E)[+-]digits].
 * The value is digits * 10^e10 exactly; it is scaled by a power of two to a
 * quotient of 55 or more bits, which is then rounded to the 53 (or fewer,
 * subnormal) bits of a double. WARREN_TERM_ERR_MALFORMED for other text,
 * WARREN_TERM_ERR_RANGE beyond the largest double.
 */
static inline int32_t warren_term__float_text(const uint8_t *text, double *out) {
    uint32_t end = 0;
    while (end < 31 && text[end] != 0) end++;
    uint32_t i = 0;
    while (i < end && (text[i] == ' ' || (text[i] >= 9 && text[i] <= 13))) i++;
    while (end > i && (text[end - 1] == ' ' || (text[end - 1] >= 9 && text[end - 1] <= 13))) end--;
    int negative = 0;
    if (i < end && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    warren_term__big digits;
    warren_term__big_set(&digits, 0);
    int64_t e10 = 0;
    uint32_t count = 0;
    for (; i < end && text[i] >= '0' && text[i] <= '9'; i++, count++)
        if (warren_term__big_mul_add(&digits, 10, text[i] - '0') != 0) return WARREN_TERM_ERR_MALFORMED;
    if (i < end && text[i] == '.') {
        for (i++; i < end && text[i] >= '0' && text[i] <= '9'; i++, count++, e10--)
            if (warren_term__big_mul_add(&digits, 10, text[i] - '0') != 0) return WARREN_TERM_ERR_MALFORMED;
    }
    if (count == 0) return WARREN_TERM_ERR_MALFORMED;
    if (i < end && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        int exp_negative = 0;
        if (i < end && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
        if (i == end) return WARREN_TERM_ERR_MALFORMED;
        int64_t exponent = 0;
        for (; i < end && text[i] >= '0' && text[i] <= '9'; i++)
            if (exponent < 100000) exponent = exponent * 10 + (text[i] - '0');
        e10 += exp_negative ? -exponent : exponent;
    }
    if (i != end) return WARREN_TERM_ERR_MALFORMED;
    union { double d; uint64_t u; } bits;
    bits.u = (uint64_t)negative << 63;
    /* At most 31 digits: below 10^-400 it rounds to zero, above 10^400 it
     * is past the largest double. */
    if (digits.n == 0 || e10 < -400) {
        *out = bits.d;
        return WARREN_TERM_OK;
    }
    if (e10 > 400) return WARREN_TERM_ERR_RANGE;
    /* value = q * 2^-k, and `sticky` if a remainder was dropped. */
    warren_term__big q = digits;
    int64_t k = 0;
    int sticky = 0;
    if (e10 >= 0) {
        for (int64_t j = 0; j < e10; j++)
            if (warren_term__big_mul_add(&q, 10, 0) != 0) return WARREN_TERM_ERR_RANGE;
        uint32_t b = warren_term__big_bits(&q);
        if (b < 55) {
            warren_term__big_shl(&q, 55 - b);
            k = 55 - b;
        }
    } else {
        warren_term__big m;
        warren_term__big_set(&m, 1);
        for (int64_t j = 0; j < -e10; j++) warren_term__big_mul_add(&m, 10, 0);
        /* q = floor(digits * 2^k / m) with 2^54 <= q < 2^56. */
        k = 55 + (int64_t)warren_term__big_bits(&m) - (int64_t)warren_term__big_bits(&digits);
        warren_term__big r = digits;
        if (k > 0) {
            if (warren_term__big_shl(&r, (uint32_t)k) != 0) return WARREN_TERM_ERR_MALFORMED;
        } else if (k < 0) {
            if (warren_term__big_shl(&m, (uint32_t)-k) != 0) return WARREN_TERM_ERR_MALFORMED;
        }
        uint64_t quotient = 0;
        for (int b = 60; b >= 0; b--) {
            warren_term__big t = m;
            if (warren_term__big_shl(&t, (uint32_t)b) != 0) return WARREN_TERM_ERR_MALFORMED;
            if (warren_term__big_cmp(&r, &t) >= 0) {
                warren_term__big_sub(&r, &t);
                quotient |= (uint64_t)1 << b;
            }
        }
        sticky = r.n != 0;
        warren_term__big_set(&q, quotient);
    }
    /* Keep 53 bits, or fewer where the double is subnormal (its last bit
     * is worth 2^-1074); round half to even on the rest. */
    int64_t qbits = warren_term__big_bits(&q);
    int64_t drop = qbits - 53 > k - 1074 ? qbits - 53 : k - 1074;
    uint64_t mantissa = 0;
    for (int b = 52; b >= 0; b--) mantissa = mantissa << 1 | (uint64_t)warren_term__big_bit(&q, (uint32_t)(drop + b));
    int guard = drop >= 1 && drop - 1 < qbits ? warren_term__big_bit(&q, (uint32_t)(drop - 1)) : 0;
    for (int64_t b = 0; !sticky && b < drop - 1 && b < qbits; b++) sticky = warren_term__big_bit(&q, (uint32_t)b);
    if (drop > qbits) mantissa = 0;
    if (guard && (sticky || (mantissa & 1))) mantissa++;
    if (mantissa == (uint64_t)1 << 53) {
        mantissa >>= 1;
        drop++;
    }
    int64_t scale = drop - k; /* value = mantissa * 2^scale */
    if (mantissa == 0) {
        *out = bits.d;
        return WARREN_TERM_OK;
    }
    if (mantissa < (uint64_t)1 << 52) {
        bits.u |= mantissa; /* subnormal (scale is -1074) */
    } else {
        int64_t field = scale + 52 + 1023;
        if (field >= 2047) return WARREN_TERM_ERR_RANGE;
        bits.u |= (uint64_t)field << 52 | (mantissa & (((uint64_t)1 << 52) - 1));
    }
    *out = bits.d;
    return WARREN_TERM_OK;
}

/* A float: NEW_FLOAT_EXT, or the old FLOAT_EXT (decimal text). */
static inline int32_t warren_term_get_float(warren_term_reader *r, double *out) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag == WARREN_ETF_FLOAT) {
        if (!warren_term__has(r, r->pos, 32)) return WARREN_TERM_ERR_MALFORMED;
        int32_t rc = warren_term__float_text(r->buf + r->pos + 1, out);
        if (rc == WARREN_TERM_OK) r->pos += 32;
        return rc;
    }
    if (tag != WARREN_ETF_NEW_FLOAT) return WARREN_TERM_ERR_TYPE;
    if (!warren_term__has(r, r->pos, 9)) return WARREN_TERM_ERR_MALFORMED;
    const uint8_t *p = r->buf + r->pos + 1;
    union { double d; uint64_t u; } bits;
    bits.u = (uint64_t)warren_term__rd32(p) << 32 | warren_term__rd32(p + 4);
    if (((bits.u >> 52) & 0x7FF) == 0x7FF) return WARREN_TERM_ERR_RANGE;
    *out = bits.d;
    r->pos += 9;
    return WARREN_TERM_OK;
}

/* An atom, copied to `dst` as UTF-8 (Latin-1 atoms converted); *len is
 * its length in bytes. WARREN_TERM_ERR_OVERFLOW if `cap` is too small
 * (nothing consumed). */
static inline int32_t warren_term_get_atom(warren_term_reader *r, char *dst, uint32_t cap, uint32_t *len) {
    const uint8_t *text;
    uint32_t n;
    int latin1;
    uint32_t next;
    int32_t rc = warren_term__atom_at(r, r->pos, &text, &n, &latin1, &next);
    if (rc != WARREN_TERM_OK) return rc;
    uint32_t out = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = text[i];
        if (latin1 && c >= 0x80) {
            if (cap - out < 2 || out > cap) return WARREN_TERM_ERR_OVERFLOW;
            dst[out++] = (char)(0xC0 | (c >> 6));
            dst[out++] = (char)(0x80 | (c & 0x3F));
        } else {
            if (out >= cap) return WARREN_TERM_ERR_OVERFLOW;
            dst[out++] = (char)c;
        }
    }
    *len = out;
    r->pos = next;
    return WARREN_TERM_OK;
}

/* 1 if the next term is the atom `name` (UTF-8; consumed), 0 if it is
 * another term (not consumed), or an error (malformed input). */
static inline int32_t warren_term_match_atom(warren_term_reader *r, const char *name, uint32_t name_len) {
    const uint8_t *text;
    uint32_t n;
    int latin1;
    uint32_t next;
    int32_t rc = warren_term__atom_at(r, r->pos, &text, &n, &latin1, &next);
    if (rc == WARREN_TERM_ERR_TYPE) return 0;
    if (rc != WARREN_TERM_OK) return rc;
    if (!warren_term__atom_is(text, n, latin1, (const uint8_t *)name, name_len)) return 0;
    r->pos = next;
    return 1;
}

/* A boolean: the atom true (1) or false (0). */
static inline int32_t warren_term_get_bool(warren_term_reader *r, int *out) {
    int32_t rc = warren_term_match_atom(r, "true", 4);
    if (rc == 1) { *out = 1; return WARREN_TERM_OK; }
    if (rc < 0) return rc;
    rc = warren_term_match_atom(r, "false", 5);
    if (rc == 1) { *out = 0; return WARREN_TERM_OK; }
    return rc < 0 ? rc : WARREN_TERM_ERR_TYPE;
}

/* A binary: *data points into the input. */
static inline int32_t warren_term_get_binary(warren_term_reader *r, const uint8_t **data, uint32_t *len) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    if (r->buf[r->pos] != WARREN_ETF_BINARY) return WARREN_TERM_ERR_TYPE;
    if (!warren_term__has(r, r->pos, 5)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t n = warren_term__rd32(r->buf + r->pos + 1);
    if (!warren_term__has(r, r->pos + 5, n)) return WARREN_TERM_ERR_MALFORMED;
    *data = r->buf + r->pos + 5;
    *len = n;
    r->pos += 5 + n;
    return WARREN_TERM_OK;
}

/* A tuple's head: its arity; its elements follow. */
static inline int32_t warren_term_get_tuple(warren_term_reader *r, uint32_t *arity) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag == WARREN_ETF_SMALL_TUPLE) {
        if (!warren_term__has(r, r->pos, 2)) return WARREN_TERM_ERR_MALFORMED;
        *arity = r->buf[r->pos + 1];
        r->pos += 2;
    } else if (tag == WARREN_ETF_LARGE_TUPLE) {
        if (!warren_term__has(r, r->pos, 5)) return WARREN_TERM_ERR_MALFORMED;
        *arity = warren_term__rd32(r->buf + r->pos + 1);
        /* Each element takes at least one byte. */
        if (!warren_term__has(r, r->pos + 5, *arity)) return WARREN_TERM_ERR_MALFORMED;
        r->pos += 5;
    } else {
        return WARREN_TERM_ERR_TYPE;
    }
    return WARREN_TERM_OK;
}

/* The empty list [] (NIL_EXT): the end of a list. */
static inline int32_t warren_term_get_nil(warren_term_reader *r) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    if (r->buf[r->pos] != WARREN_ETF_NIL) return WARREN_TERM_ERR_TYPE;
    r->pos += 1;
    return WARREN_TERM_OK;
}

/* A list's head (LIST_EXT), or [] (*count 0, consumed whole). After a
 * count > 0, read the elements, then warren_term_get_nil for the tail
 * (another tail: an improper list). A STRING_EXT list is
 * WARREN_TERM_ERR_TYPE: read it with warren_term_get_string. */
static inline int32_t warren_term_get_list(warren_term_reader *r, uint32_t *count) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag == WARREN_ETF_NIL) {
        *count = 0;
        r->pos += 1;
        return WARREN_TERM_OK;
    }
    if (tag != WARREN_ETF_LIST) return WARREN_TERM_ERR_TYPE;
    if (!warren_term__has(r, r->pos, 5)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t n = warren_term__rd32(r->buf + r->pos + 1);
    /* n elements and a tail, each at least one byte. */
    if (n == UINT32_MAX || !warren_term__has(r, r->pos + 5, n + 1)) return WARREN_TERM_ERR_MALFORMED;
    if (n == 0) {
        /* [] written long: its tail is the whole list. */
        if (r->buf[r->pos + 5] != WARREN_ETF_NIL) return WARREN_TERM_ERR_UNSUPPORTED;
        r->pos += 6;
    } else {
        r->pos += 5;
    }
    *count = n;
    return WARREN_TERM_OK;
}

/* A list of integers 0..255 written as STRING_EXT, or [] (length 0):
 * *bytes points into the input. */
static inline int32_t warren_term_get_string(warren_term_reader *r, const uint8_t **bytes, uint32_t *len) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag == WARREN_ETF_NIL) {
        *bytes = r->buf + r->pos;
        *len = 0;
        r->pos += 1;
        return WARREN_TERM_OK;
    }
    if (tag != WARREN_ETF_STRING) return WARREN_TERM_ERR_TYPE;
    if (!warren_term__has(r, r->pos, 3)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t n = warren_term__rd16(r->buf + r->pos + 1);
    if (!warren_term__has(r, r->pos + 3, n)) return WARREN_TERM_ERR_MALFORMED;
    *bytes = r->buf + r->pos + 3;
    *len = n;
    r->pos += 3 + n;
    return WARREN_TERM_OK;
}

/* A map's head: its number of pairs; key, value, key, value... follow. */
static inline int32_t warren_term_get_map(warren_term_reader *r, uint32_t *arity) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    if (r->buf[r->pos] != WARREN_ETF_MAP) return WARREN_TERM_ERR_TYPE;
    if (!warren_term__has(r, r->pos, 5)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t n = warren_term__rd32(r->buf + r->pos + 1);
    if (n > (r->len - r->pos - 5) / 2) return WARREN_TERM_ERR_MALFORMED;
    *arity = n;
    r->pos += 5;
    return WARREN_TERM_OK;
}

/* A Warren pid (a pid of node nonode@nohost, creation 0);
 * WARREN_TERM_ERR_RANGE for another node's. */
static inline int32_t warren_term_get_pid(warren_term_reader *r, int64_t *out) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag != WARREN_ETF_NEW_PID && tag != WARREN_ETF_PID) return WARREN_TERM_ERR_TYPE;
    const uint8_t *text;
    uint32_t n;
    int latin1;
    uint32_t at;
    int32_t rc = warren_term__atom_at(r, r->pos + 1, &text, &n, &latin1, &at);
    if (rc != WARREN_TERM_OK) return rc == WARREN_TERM_ERR_TYPE ? WARREN_TERM_ERR_MALFORMED : rc;
    uint32_t creation_len = tag == WARREN_ETF_NEW_PID ? 4 : 1;
    if (!warren_term__has(r, at, 8 + creation_len)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t id = warren_term__rd32(r->buf + at);
    uint32_t serial = warren_term__rd32(r->buf + at + 4);
    uint32_t creation = creation_len == 4 ? warren_term__rd32(r->buf + at + 8) : r->buf[at + 8];
    if (!warren_term__atom_is(text, n, latin1, (const uint8_t *)"nonode@nohost", 13) || creation != 0)
        return WARREN_TERM_ERR_RANGE;
    uint64_t full_serial = (uint64_t)(id >> 28) << 32 | serial;
    uint64_t raw = full_serial << 28 | (id & ((1u << 28) - 1));
    if (full_serial >> 35 != 0 || raw < ((uint64_t)1 << 28)) return WARREN_TERM_ERR_RANGE;
    *out = (int64_t)raw;
    r->pos = at + 8 + creation_len;
    return WARREN_TERM_OK;
}

/* A Warren reference (node nonode@nohost, creation 0, three words in
 * Warren's layout); WARREN_TERM_ERR_RANGE for any other reference. */
static inline int32_t warren_term_get_ref(warren_term_reader *r, int64_t *out) {
    if (!warren_term__has(r, r->pos, 1)) return WARREN_TERM_ERR_MALFORMED;
    uint8_t tag = r->buf[r->pos];
    if (tag != WARREN_ETF_NEWER_REFERENCE && tag != WARREN_ETF_NEW_REFERENCE && tag != WARREN_ETF_REFERENCE)
        return WARREN_TERM_ERR_TYPE;
    uint32_t words = 1;
    uint32_t at = r->pos + 1;
    if (tag != WARREN_ETF_REFERENCE) {
        if (!warren_term__has(r, at, 2)) return WARREN_TERM_ERR_MALFORMED;
        words = warren_term__rd16(r->buf + at);
        at += 2;
        if (words < 1 || words > 5) return WARREN_TERM_ERR_MALFORMED;
    }
    const uint8_t *text;
    uint32_t n;
    int latin1;
    int32_t rc = warren_term__atom_at(r, at, &text, &n, &latin1, &at);
    if (rc != WARREN_TERM_OK) return rc == WARREN_TERM_ERR_TYPE ? WARREN_TERM_ERR_MALFORMED : rc;
    uint32_t creation_len = tag == WARREN_ETF_NEWER_REFERENCE ? 4 : 1;
    /* REFERENCE_EXT: the id word comes before the creation. */
    if (!warren_term__has(r, at, creation_len + 4 * words)) return WARREN_TERM_ERR_MALFORMED;
    uint32_t creation;
    const uint8_t *w;
    if (tag == WARREN_ETF_REFERENCE) {
        w = r->buf + at;
        creation = r->buf[at + 4];
    } else {
        creation = creation_len == 4 ? warren_term__rd32(r->buf + at) : r->buf[at];
        w = r->buf + at + creation_len;
    }
    if (!warren_term__atom_is(text, n, latin1, (const uint8_t *)"nonode@nohost", 13) || creation != 0 ||
        words != 3)
        return WARREN_TERM_ERR_RANGE;
    uint32_t w0 = warren_term__rd32(w);
    uint32_t w1 = warren_term__rd32(w + 4);
    uint32_t w2 = warren_term__rd32(w + 8);
    if (w0 >> 18 != 0 || w2 >> 14 != 0) return WARREN_TERM_ERR_RANGE;
    *out = (int64_t)((uint64_t)w0 | (uint64_t)w1 << 18 | (uint64_t)w2 << 50);
    r->pos = at + creation_len + 4 * words;
    return WARREN_TERM_OK;
}

/* Skips the next term (of any supported kind), checking it whole. */
static inline int32_t warren_term__skip(warren_term_reader *r, uint32_t depth) {
    if (depth > WARREN_TERM_MAX_DEPTH) return WARREN_TERM_ERR_MALFORMED;
    int32_t kind = warren_term_kind(r);
    if (kind < 0) return kind;
    const uint8_t *p = r->buf + r->pos;
    uint32_t n;
    int32_t rc;
    switch (kind) {
    case WARREN_TERM_INTEGER:
    case WARREN_TERM_BIGINT:
        if (p[0] == WARREN_ETF_SMALL_INTEGER || p[0] == WARREN_ETF_INTEGER) {
            int64_t ignored;
            return warren_term_get_int(r, &ignored);
        }
        /* warren_term_kind checked the digits are there. */
        r->pos += p[0] == WARREN_ETF_SMALL_BIG ? 3 + (uint32_t)p[1] : 6 + warren_term__rd32(p + 1);
        return WARREN_TERM_OK;
    case WARREN_TERM_FLOAT: {
        if (!warren_term__has(r, r->pos, 9)) return WARREN_TERM_ERR_MALFORMED;
        double ignored;
        rc = warren_term_get_float(r, &ignored);
        return rc == WARREN_TERM_ERR_RANGE ? WARREN_TERM_ERR_MALFORMED : rc;
    }
    case WARREN_TERM_ATOM: {
        const uint8_t *text;
        int latin1;
        uint32_t next;
        rc = warren_term__atom_at(r, r->pos, &text, &n, &latin1, &next);
        if (rc != WARREN_TERM_OK) return rc;
        r->pos = next;
        return WARREN_TERM_OK;
    }
    case WARREN_TERM_BINARY: {
        const uint8_t *data;
        return warren_term_get_binary(r, &data, &n);
    }
    case WARREN_TERM_STRING: {
        const uint8_t *data;
        return warren_term_get_string(r, &data, &n);
    }
    case WARREN_TERM_TUPLE:
        rc = warren_term_get_tuple(r, &n);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < n; i++) rc = warren_term__skip(r, depth + 1);
        return rc;
    case WARREN_TERM_NIL:
        return warren_term_get_nil(r);
    case WARREN_TERM_LIST:
        rc = warren_term_get_list(r, &n);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < n; i++) rc = warren_term__skip(r, depth + 1);
        /* The tail: [] for a proper list, any term for an improper one. */
        if (rc == WARREN_TERM_OK && n > 0) rc = warren_term__skip(r, depth + 1);
        return rc;
    case WARREN_TERM_MAP:
        rc = warren_term_get_map(r, &n);
        for (uint32_t i = 0; rc == WARREN_TERM_OK && i < 2 * n; i++) rc = warren_term__skip(r, depth + 1);
        return rc;
    case WARREN_TERM_PID:
    case WARREN_TERM_REF: {
        /* Any node's pid or reference is a well-formed term. */
        uint8_t tag = p[0];
        uint32_t at = r->pos + 1;
        uint32_t words = 1;
        if (tag == WARREN_ETF_NEWER_REFERENCE || tag == WARREN_ETF_NEW_REFERENCE) {
            if (!warren_term__has(r, at, 2)) return WARREN_TERM_ERR_MALFORMED;
            words = warren_term__rd16(r->buf + at);
            if (words < 1 || words > 5) return WARREN_TERM_ERR_MALFORMED;
            at += 2;
        }
        const uint8_t *text;
        int latin1;
        rc = warren_term__atom_at(r, at, &text, &n, &latin1, &at);
        if (rc != WARREN_TERM_OK) return WARREN_TERM_ERR_MALFORMED;
        uint32_t rest;
        switch (tag) {
        case WARREN_ETF_NEW_PID: rest = 12; break;
        case WARREN_ETF_PID: rest = 9; break;
        case WARREN_ETF_NEWER_REFERENCE: rest = 4 + 4 * words; break;
        case WARREN_ETF_NEW_REFERENCE: rest = 1 + 4 * words; break;
        default: rest = 5; break; /* REFERENCE_EXT */
        }
        if (!warren_term__has(r, at, rest)) return WARREN_TERM_ERR_MALFORMED;
        r->pos = at + rest;
        return WARREN_TERM_OK;
    }
    default:
        return WARREN_TERM_ERR_UNSUPPORTED;
    }
}

/* Skips the next term, whatever it is; the reader stays where it was on
 * an error. */
static inline int32_t warren_term_skip(warren_term_reader *r) {
    uint32_t start = r->pos;
    int32_t rc = warren_term__skip(r, 0);
    if (rc != WARREN_TERM_OK) r->pos = start;
    return rc;
}

/* Checks that `buf` holds exactly one well-formed term: WARREN_TERM_OK or
 * the error. */
static inline int32_t warren_term_validate(const void *buf, uint32_t len) {
    warren_term_reader r;
    int32_t rc = warren_term_reader_init(&r, buf, len);
    if (rc == WARREN_TERM_OK) rc = warren_term_skip(&r);
    if (rc == WARREN_TERM_OK && !warren_term_reader_done(&r)) rc = WARREN_TERM_ERR_MALFORMED;
    return rc;
}

/* Appends a whole term (`term`, `len` bytes, with its version byte) as the
 * next element of what `w` writes: to embed a term received as is. A
 * malformed term is WARREN_TERM_ERR_MALFORMED. */
static inline void warren_term_put_term(warren_term_writer *w, const void *term, uint32_t len) {
    int32_t rc = warren_term_validate(term, len);
    if (rc != WARREN_TERM_OK) {
        warren_term__fail(w, rc);
        return;
    }
    warren_term__element(w);
    warren_term__put(w, (const uint8_t *)term + 1, len - 1);
}

/* ===================================================== Erlang's term order */

/* Rank of a kind in Erlang's order: numbers < atoms < references < pids <
 * tuples < maps < [] < lists < binaries (integers before floats, as map
 * keys compare). */
static inline int warren_term__rank(int32_t kind) {
    switch (kind) {
    case WARREN_TERM_INTEGER: case WARREN_TERM_BIGINT: return 0;
    case WARREN_TERM_FLOAT: return 1;
    case WARREN_TERM_ATOM: return 2;
    case WARREN_TERM_REF: return 3;
    case WARREN_TERM_PID: return 4;
    case WARREN_TERM_TUPLE: return 5;
    case WARREN_TERM_MAP: return 6;
    case WARREN_TERM_NIL: return 7;
    case WARREN_TERM_LIST: case WARREN_TERM_STRING: return 8;
    default: return 9;
    }
}

static inline int warren_term__sign(int64_t d) { return (d > 0) - (d < 0); }

/* The next integer as a sign and a magnitude (little-endian digits without
 * leading zeros; small ones in `scratch`); consumes it. */
static inline int32_t warren_term__int_parts(warren_term_reader *r, int *negative, const uint8_t **digits,
                                             uint32_t *n, uint8_t scratch[8]) {
    const uint8_t *p = r->buf + r->pos;
    if (p[0] == WARREN_ETF_SMALL_BIG || p[0] == WARREN_ETF_LARGE_BIG) {
        uint32_t head = p[0] == WARREN_ETF_SMALL_BIG ? 3 : 6;
        uint32_t len = p[0] == WARREN_ETF_SMALL_BIG ? p[1] : warren_term__rd32(p + 1);
        *negative = p[head - 1] != 0;
        *digits = p + head;
        while (len > 0 && p[head + len - 1] == 0) len--;
        *n = len;
        return warren_term__skip(r, 0);
    }
    int64_t v;
    int32_t rc = warren_term_get_int(r, &v);
    if (rc != WARREN_TERM_OK) return rc;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *negative = v < 0;
    uint32_t len = 0;
    while (m != 0) {
        scratch[len++] = (uint8_t)m;
        m >>= 8;
    }
    *digits = scratch;
    *n = len;
    return WARREN_TERM_OK;
}

static inline int32_t warren_term__cmp(warren_term_reader *a, warren_term_reader *b, uint32_t depth, int *out);

/* Compares `count` terms of each reader in sequence; *out is the first
 * difference. Consumes them all. */
static inline int32_t warren_term__cmp_seq(warren_term_reader *a, warren_term_reader *b, uint32_t count,
                                           uint32_t depth, int *out) {
    *out = 0;
    for (uint32_t i = 0; i < count; i++) {
        int c = 0;
        int32_t rc = *out == 0 ? warren_term__cmp(a, b, depth + 1, &c) : WARREN_TERM_OK;
        if (*out != 0) {
            rc = warren_term__skip(a, depth + 1);
            if (rc == WARREN_TERM_OK) rc = warren_term__skip(b, depth + 1);
        }
        if (rc != WARREN_TERM_OK) return rc;
        if (*out == 0) *out = c;
    }
    return WARREN_TERM_OK;
}

/* Compares the next term of `a` with the next of `b` in Erlang's term
 * order (*out: -1, 0, 1) and consumes both. */
static inline int32_t warren_term__cmp(warren_term_reader *a, warren_term_reader *b, uint32_t depth, int *out) {
    if (depth > WARREN_TERM_MAX_DEPTH) return WARREN_TERM_ERR_MALFORMED;
    int32_t ka = warren_term_kind(a);
    int32_t kb = warren_term_kind(b);
    if (ka < 0) return ka;
    if (kb < 0) return kb;
    int ra = warren_term__rank(ka);
    int rb = warren_term__rank(kb);
    int32_t rc;
    if (ra != rb) {
        *out = ra < rb ? -1 : 1;
        rc = warren_term__skip(a, depth);
        return rc == WARREN_TERM_OK ? warren_term__skip(b, depth) : rc;
    }
    switch (ra) {
    case 0: { /* integers */
        int na, nb;
        const uint8_t *da, *db;
        uint32_t la, lb;
        uint8_t sa[8], sb[8];
        rc = warren_term__int_parts(a, &na, &da, &la, sa);
        if (rc == WARREN_TERM_OK) rc = warren_term__int_parts(b, &nb, &db, &lb, sb);
        if (rc != WARREN_TERM_OK) return rc;
        int magnitude = la != lb ? (la < lb ? -1 : 1) : 0;
        for (uint32_t i = la; magnitude == 0 && i-- > 0;) magnitude = da[i] != db[i] ? (da[i] < db[i] ? -1 : 1) : 0;
        if (la == 0 && lb == 0) *out = 0;
        else if (na != nb) *out = na ? -1 : 1;
        else *out = na ? -magnitude : magnitude;
        return WARREN_TERM_OK;
    }
    case 1: { /* floats */
        double x, y;
        rc = warren_term_get_float(a, &x);
        if (rc == WARREN_TERM_OK) rc = warren_term_get_float(b, &y);
        if (rc != WARREN_TERM_OK) return rc;
        *out = x < y ? -1 : x > y ? 1 : 0;
        return WARREN_TERM_OK;
    }
    case 2: { /* atoms: by their text, character by character */
        const uint8_t *ta, *tb;
        uint32_t la, lb, na, nb;
        int a1, b1;
        rc = warren_term__atom_at(a, a->pos, &ta, &la, &a1, &na);
        if (rc == WARREN_TERM_OK) rc = warren_term__atom_at(b, b->pos, &tb, &lb, &b1, &nb);
        if (rc != WARREN_TERM_OK) return rc;
        uint32_t i = 0, j = 0;
        *out = 0;
        while (*out == 0 && i < la && j < lb) {
            int32_t ca = a1 ? ta[i++] : warren_term__utf8_next(ta, la, &i);
            int32_t cb = b1 ? tb[j++] : warren_term__utf8_next(tb, lb, &j);
            *out = warren_term__sign((int64_t)ca - cb);
        }
        if (*out == 0) *out = (i < la) - (j < lb);
        a->pos = na;
        b->pos = nb;
        return WARREN_TERM_OK;
    }
    case 3: /* references and pids: Warren's own, by their numbers */
    case 4: {
        int64_t x, y;
        if (ra == 3) {
            rc = warren_term_get_ref(a, &x);
            if (rc == WARREN_TERM_OK) rc = warren_term_get_ref(b, &y);
        } else {
            rc = warren_term_get_pid(a, &x);
            if (rc == WARREN_TERM_OK) rc = warren_term_get_pid(b, &y);
        }
        if (rc != WARREN_TERM_OK) return rc;
        if (ra == 4) {
            /* Erlang compares the serial, then the id. */
            uint64_t sx = (uint64_t)x >> 28, sy = (uint64_t)y >> 28;
            uint64_t ix = (uint64_t)x & ((1u << 28) - 1), iy = (uint64_t)y & ((1u << 28) - 1);
            uint64_t idx = ix | (sx >> 32) << 28, idy = iy | (sy >> 32) << 28;
            sx &= 0xFFFFFFFFu;
            sy &= 0xFFFFFFFFu;
            *out = sx != sy ? (sx < sy ? -1 : 1) : idx != idy ? (idx < idy ? -1 : 1) : 0;
        } else {
            /* The words, last to first. */
            uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
            uint64_t wx[3] = {ux & 0x3FFFF, (ux >> 18) & 0xFFFFFFFFu, ux >> 50};
            uint64_t wy[3] = {uy & 0x3FFFF, (uy >> 18) & 0xFFFFFFFFu, uy >> 50};
            *out = 0;
            for (int i = 2; *out == 0 && i >= 0; i--) *out = wx[i] != wy[i] ? (wx[i] < wy[i] ? -1 : 1) : 0;
        }
        return WARREN_TERM_OK;
    }
    case 5: { /* tuples: arity, then the elements */
        uint32_t na, nb;
        rc = warren_term_get_tuple(a, &na);
        if (rc == WARREN_TERM_OK) rc = warren_term_get_tuple(b, &nb);
        if (rc != WARREN_TERM_OK) return rc;
        if (na != nb) {
            *out = na < nb ? -1 : 1;
            for (uint32_t i = 0; rc == WARREN_TERM_OK && i < na; i++) rc = warren_term__skip(a, depth + 1);
            for (uint32_t i = 0; rc == WARREN_TERM_OK && i < nb; i++) rc = warren_term__skip(b, depth + 1);
            return rc;
        }
        return warren_term__cmp_seq(a, b, na, depth, out);
    }
    case 6: { /* maps: size, then the keys in order, then the values */
        uint32_t na, nb;
        rc = warren_term_get_map(a, &na);
        if (rc == WARREN_TERM_OK) rc = warren_term_get_map(b, &nb);
        if (rc != WARREN_TERM_OK) return rc;
        if (na != nb) {
            *out = na < nb ? -1 : 1;
            for (uint32_t i = 0; rc == WARREN_TERM_OK && i < 2 * na; i++) rc = warren_term__skip(a, depth + 1);
            for (uint32_t i = 0; rc == WARREN_TERM_OK && i < 2 * nb; i++) rc = warren_term__skip(b, depth + 1);
            return rc;
        }
        /* Two passes over the pairs: the keys (pass 0), then the values
         * (pass 1); the other half of each pair is skipped. */
        const warren_term_reader a_pairs = *a, b_pairs = *b;
        *out = 0;
        for (int pass = 0; pass < 2; pass++) {
            *a = a_pairs;
            *b = b_pairs;
            for (uint32_t i = 0; i < 2 * na; i++) {
                int c = 0;
                if (*out == 0 && (int)(i % 2) == pass) {
                    rc = warren_term__cmp(a, b, depth + 1, &c);
                    *out = c;
                } else {
                    rc = warren_term__skip(a, depth + 1);
                    if (rc == WARREN_TERM_OK) rc = warren_term__skip(b, depth + 1);
                }
                if (rc != WARREN_TERM_OK) return rc;
            }
            if (*out != 0) break;
        }
        return WARREN_TERM_OK;
    }
    case 7: /* [] */
        rc = warren_term_get_nil(a);
        if (rc == WARREN_TERM_OK) rc = warren_term_get_nil(b);
        *out = 0;
        return rc;
    case 8: { /* lists, cell by cell */
        /* Each side: remaining cells, and whether it is a STRING_EXT. */
        const uint8_t *sa = 0, *sb = 0;
        uint32_t la, lb;
        int is_a = ka == WARREN_TERM_STRING, is_b = kb == WARREN_TERM_STRING;
        rc = is_a ? warren_term_get_string(a, &sa, &la) : warren_term_get_list(a, &la);
        if (rc == WARREN_TERM_OK) rc = is_b ? warren_term_get_string(b, &sb, &lb) : warren_term_get_list(b, &lb);
        if (rc != WARREN_TERM_OK) return rc;
        uint32_t common = la < lb ? la : lb;
        *out = 0;
        for (uint32_t i = 0; i < common; i++) {
            int c = 0;
            if (is_a && is_b) {
                c = warren_term__sign((int64_t)sa[i] - sb[i]);
            } else if (is_a || is_b) {
                /* One side's element is a small integer: compare it as one. */
                uint8_t one[3] = {WARREN_ETF_VERSION, WARREN_ETF_SMALL_INTEGER, is_a ? sa[i] : sb[i]};
                warren_term_reader s;
                warren_term_reader_init(&s, one, 3);
                if (*out == 0) rc = is_a ? warren_term__cmp(&s, b, depth + 1, &c) : warren_term__cmp(a, &s, depth + 1, &c);
                else rc = warren_term__skip(is_a ? b : a, depth + 1);
            } else if (*out == 0) {
                rc = warren_term__cmp(a, b, depth + 1, &c);
            } else {
                rc = warren_term__skip(a, depth + 1);
                if (rc == WARREN_TERM_OK) rc = warren_term__skip(b, depth + 1);
            }
            if (rc != WARREN_TERM_OK) return rc;
            if (*out == 0) *out = c;
        }
        /* What follows the common cells: more cells (rank 8) or the tail. */
        int rest_a = la > common ? 8 : -1, rest_b = lb > common ? 8 : -1;
        for (uint32_t i = common; !is_a && i < la && rc == WARREN_TERM_OK; i++) rc = warren_term__skip(a, depth + 1);
        for (uint32_t i = common; !is_b && i < lb && rc == WARREN_TERM_OK; i++) rc = warren_term__skip(b, depth + 1);
        if (rc != WARREN_TERM_OK) return rc;
        /* The tails ([] for STRING_EXT and proper lists). */
        warren_term_reader ta = *a, tb = *b;
        int tail_a = 7, tail_b = 7;
        if (!is_a && la > 0) {
            int32_t k = warren_term_kind(a);
            if (k < 0) return k;
            tail_a = warren_term__rank(k);
            rc = warren_term__skip(a, depth + 1);
        }
        if (rc == WARREN_TERM_OK && !is_b && lb > 0) {
            int32_t k = warren_term_kind(b);
            if (k < 0) return k;
            tail_b = warren_term__rank(k);
            rc = warren_term__skip(b, depth + 1);
        }
        if (rc != WARREN_TERM_OK || *out != 0) return rc;
        if (rest_a < 0) rest_a = tail_a;
        if (rest_b < 0) rest_b = tail_b;
        if (la == common && lb == common && tail_a != 7 && tail_b != 7) {
            /* Two improper tails: compare them. */
            warren_term_reader x = ta, y = tb;
            return warren_term__cmp(&x, &y, depth + 1, out);
        }
        *out = rest_a != rest_b ? (rest_a < rest_b ? -1 : 1) : 0;
        return WARREN_TERM_OK;
    }
    default: { /* binaries: bytewise, then length */
        const uint8_t *da, *db;
        uint32_t la, lb;
        rc = warren_term_get_binary(a, &da, &la);
        if (rc == WARREN_TERM_OK) rc = warren_term_get_binary(b, &db, &lb);
        if (rc != WARREN_TERM_OK) return rc;
        uint32_t common = la < lb ? la : lb;
        *out = 0;
        for (uint32_t i = 0; *out == 0 && i < common; i++) *out = warren_term__sign((int64_t)da[i] - db[i]);
        if (*out == 0) *out = la != lb ? (la < lb ? -1 : 1) : 0;
        return WARREN_TERM_OK;
    }
    }
}

/* Compares two whole terms (each with its version byte) in Erlang's term
 * order: *out is -1, 0 or 1. */
static inline int32_t warren_term_compare(const void *x, uint32_t x_len, const void *y, uint32_t y_len, int *out) {
    warren_term_reader a, b;
    int32_t rc = warren_term_reader_init(&a, x, x_len);
    if (rc == WARREN_TERM_OK) rc = warren_term_reader_init(&b, y, y_len);
    if (rc == WARREN_TERM_OK) rc = warren_term__cmp(&a, &b, 0, out);
    return rc;
}

/* Reverses buf[from..to). */
static inline void warren_term__reverse(uint8_t *buf, uint32_t from, uint32_t to) {
    while (from + 1 < to) {
        uint8_t t = buf[from];
        buf[from++] = buf[--to];
        buf[to] = t;
    }
}

/* Ends the map begun at `mark`, of `count` pairs: writes the count and
 * sorts the pairs by key in Erlang's order (a selection sort that rotates
 * each smallest pair into place, with no memory beyond the term's). */
static inline void warren_term_map_end(warren_term_writer *w, uint32_t mark, uint32_t count) {
    if (w->err != WARREN_TERM_OK) return;
    uint8_t *b = w->buf;
    b[mark + 1] = (uint8_t)(count >> 24);
    b[mark + 2] = (uint8_t)(count >> 16);
    b[mark + 3] = (uint8_t)(count >> 8);
    b[mark + 4] = (uint8_t)count;
    /* A reader over the pairs: [mark + 5, len). Its "version byte" is the
     * map's last count byte, which the reader skips. */
    warren_term_reader r;
    r.buf = b;
    r.len = w->len;
    uint32_t start = mark + 5;
    for (uint32_t i = 0; i < count; i++) {
        /* Find the smallest key among pairs i..count-1, from `start`. */
        r.pos = start;
        uint32_t best = start, best_end = 0;
        uint32_t at = start;
        for (uint32_t j = i; j < count; j++) {
            r.pos = at;
            if (j > i) {
                warren_term_reader x = r, y = r;
                y.pos = best;
                int c = 0;
                int32_t rc = warren_term__cmp(&x, &y, 1, &c);
                if (rc != WARREN_TERM_OK) {
                    warren_term__fail(w, rc);
                    return;
                }
                if (c == 0) {
                    warren_term__fail(w, WARREN_TERM_ERR_RANGE);
                    return;
                }
                if (c < 0) best = at;
            }
            /* Skip the key and the value. */
            int32_t rc = warren_term__skip(&r, 1);
            if (rc == WARREN_TERM_OK) rc = warren_term__skip(&r, 1);
            if (rc != WARREN_TERM_OK) {
                warren_term__fail(w, rc);
                return;
            }
            if (at == best) best_end = r.pos;
            at = r.pos;
        }
        /* Rotate [start, best) and [best, best_end): the best pair first. */
        if (best != start) {
            warren_term__reverse(b, start, best);
            warren_term__reverse(b, best, best_end);
            warren_term__reverse(b, start, best_end);
        }
        start += best_end - best;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* WARREN_TERM_H */
