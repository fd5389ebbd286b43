/* Bounds-checked rANS decoder: the compiled twin of lvqac_core/entropy/safe_rans.py.
 *
 * It reads exactly the bit stream CompressAI's RansEncoder writes (Rans64, 16-bit precision,
 * 4-bit bypass coding of out-of-range values) and decodes the same symbols as the pure-Python
 * SafeRansDecoder, step for step, but never trusts the stream:
 *
 *   - the stream is kept as a Python bytes object of n = len / 4 words; every read of a word is
 *     preceded by `pos < n` (pos only grows by one per read), so no byte outside it is read;
 *   - the tables are copied and checked once (Tables): 2 <= length, cdf[0] == 0, strictly
 *     increasing, cdf[length - 1] == 1 << 16, offsets such that every plain symbol fits int32.
 *     With such a table the binary search returns s in [0, length - 2], so cdf[s + 1] is in the
 *     table, and freq = cdf[s + 1] - cdf[s] is in [1, 1 << 16]: the state update
 *     freq * (x >> 16) + (x & 0xffff) - cdf[s] stays below 2^64 (no wrap-around);
 *   - every table index is checked against the number of tables;
 *   - an escape code may announce at most eight 4-bit groups (a 32-bit value); a decoded value
 *     outside int32 is refused;
 *   - a Tables or Decoder object is initialised once: a second __init__ (from Python, possibly
 *     from another thread while the first runs or while decode() has released the GIL) is
 *     refused, so the buffers decode() reads are never replaced or freed under it.
 *
 * decode() returns a status instead of raising, so the Python wrapper raises the same errors
 * with the same messages as the pure-Python decoder: 0 ok, 1 read past the end of the stream,
 * 2 invalid escape code (or value outside int32), 3 table index out of range. On a non-zero
 * status the decoder's state is left as it was before the call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PRECISION 16
#define PROB_ONE (1u << PRECISION)
#define MASK (PROB_ONE - 1u)
#define RANS_L (1ull << 31)
#define BYPASS_BITS 4
#define BYPASS_MAX ((1u << BYPASS_BITS) - 1u)
#define MAX_BYPASS_GROUPS 8

enum { ST_OK = 0, ST_OVERRUN = 1, ST_ESCAPE = 2, ST_INDEX = 3 };

/* ------------------------------------------------------------------ Tables ---------- */

typedef struct {
    PyObject_HEAD
    int inited;          /* 0 until __init__ starts; __init__ runs at most once */
    Py_ssize_t n;        /* number of tables (0 until initialised successfully) */
    uint32_t *cdf;       /* all tables, concatenated */
    Py_ssize_t *start;   /* table t is cdf[start[t] .. start[t] + len[t]) */
    int32_t *len;
    int64_t *offset;
} TablesObject;

static void Tables_dealloc(TablesObject *self) {
    PyMem_Free(self->cdf);
    PyMem_Free(self->start);
    PyMem_Free(self->len);
    PyMem_Free(self->offset);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int as_long_long(PyObject *item, long long *out) {
    long long v = PyLong_AsLongLong(item);
    if (v == -1 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

/* Tables(cdfs, lengths, offsets): table t is cdfs[t][:lengths[t]], symbol s stands for
 * s + offsets[t], and s == lengths[t] - 2 is the escape. */
static int Tables_init(TablesObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"cdfs", "lengths", "offsets", NULL};
    PyObject *cdfs, *lengths, *offsets;
    PyObject *fc = NULL, *fl = NULL, *fo = NULL;
    int ok = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO", kwlist, &cdfs, &lengths, &offsets))
        return -1;
    if (self->inited) {  /* also while a first __init__ runs (it may call back into Python) */
        PyErr_SetString(PyExc_RuntimeError, "Tables already initialised");
        return -1;
    }
    self->inited = 1;
    /* tuples: immutable copies, so an item's __index__ cannot resize what is being read */
    fc = PySequence_Tuple(cdfs);
    fl = PySequence_Tuple(lengths);
    fo = PySequence_Tuple(offsets);
    if (!fc || !fl || !fo) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fc);
    if (PySequence_Fast_GET_SIZE(fl) != n || PySequence_Fast_GET_SIZE(fo) != n) {
        PyErr_SetString(PyExc_ValueError, "cdfs, lengths and offsets differ in length");
        goto done;
    }
    self->start = PyMem_Calloc(n ? n : 1, sizeof(Py_ssize_t));
    self->len = PyMem_Calloc(n ? n : 1, sizeof(int32_t));
    self->offset = PyMem_Calloc(n ? n : 1, sizeof(int64_t));
    if (!self->start || !self->len || !self->offset) { PyErr_NoMemory(); goto done; }
    Py_ssize_t total = 0;
    for (Py_ssize_t t = 0; t < n; t++) {
        long long L, off;
        if (as_long_long(PySequence_Fast_GET_ITEM(fl, t), &L) < 0) goto done;
        if (as_long_long(PySequence_Fast_GET_ITEM(fo, t), &off) < 0) goto done;
        Py_ssize_t have = PySequence_Length(PySequence_Fast_GET_ITEM(fc, t));
        if (have < 0) goto done;
        if (L < 2 || L > (1 << 20) || L > have) {
            PyErr_Format(PyExc_ValueError, "table %zd: length %lld invalid", t, L);
            goto done;
        }
        if (off < INT32_MIN || off > (long long)INT32_MAX - L) {  /* no overflow: L <= 2^20 */
            PyErr_Format(PyExc_ValueError, "table %zd: offset %lld out of range", t, off);
            goto done;
        }
        self->start[t] = total;
        self->len[t] = (int32_t)L;
        self->offset[t] = off;
        total += (Py_ssize_t)L;
    }
    self->cdf = PyMem_Calloc(total ? total : 1, sizeof(uint32_t));
    if (!self->cdf) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *row = PySequence_Tuple(PySequence_Fast_GET_ITEM(fc, t));
        if (!row) goto done;
        uint32_t *c = self->cdf + self->start[t];
        long long prev = -1;
        int bad = 0;
        if (PyTuple_GET_SIZE(row) < self->len[t]) {  /* a different object than the one measured */
            Py_DECREF(row);
            PyErr_Format(PyExc_ValueError, "table %zd: length %d invalid", t, (int)self->len[t]);
            goto done;
        }
        for (int32_t i = 0; i < self->len[t]; i++) {
            long long v;
            if (as_long_long(PySequence_Fast_GET_ITEM(row, i), &v) < 0) { Py_DECREF(row); goto done; }
            if (v <= prev || v > PROB_ONE) bad = 1;
            c[i] = (uint32_t)(v < 0 ? 0 : v);
            prev = v;
        }
        Py_DECREF(row);
        if (bad || c[0] != 0 || c[self->len[t] - 1] != PROB_ONE) {
            PyErr_Format(PyExc_ValueError, "table %zd is not a valid 16-bit cdf", t);
            goto done;
        }
    }
    self->n = n;
    ok = 0;
done:
    Py_XDECREF(fc);
    Py_XDECREF(fl);
    Py_XDECREF(fo);
    if (ok < 0) {  /* leave an unusable (empty) object behind */
        PyMem_Free(self->cdf); self->cdf = NULL;
        PyMem_Free(self->start); self->start = NULL;
        PyMem_Free(self->len); self->len = NULL;
        PyMem_Free(self->offset); self->offset = NULL;
        self->n = 0;
    }
    return ok;
}

static PyObject *Tables_count(TablesObject *self, void *closure) {
    return PyLong_FromSsize_t(self->n);
}

static PyGetSetDef Tables_getset[] = {
    {"count", (getter)Tables_count, NULL, "number of tables", NULL},
    {NULL}
};

static PyTypeObject TablesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lvqac_core.entropy._ransdec.Tables",
    .tp_basicsize = sizeof(TablesObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Checked rANS decoding tables: Tables(cdfs, lengths, offsets).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tables_init,
    .tp_dealloc = (destructor)Tables_dealloc,
    .tp_getset = Tables_getset,
};

/* ------------------------------------------------------------------ Decoder --------- */

typedef struct {
    PyObject_HEAD
    PyObject *data;      /* bytes, immutable; NULL until initialised */
    Py_ssize_t nwords;
    Py_ssize_t pos;      /* next word to read */
    uint64_t x;          /* rANS state */
} DecoderObject;

static void Decoder_dealloc(DecoderObject *self) {
    Py_XDECREF(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static inline uint32_t word_at(const unsigned char *p, Py_ssize_t i) {
    p += 4 * i;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Decoder(data: bytes): len(data) must be a multiple of 4 and at least 8. */
static int Decoder_init(DecoderObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"data", NULL};
    PyObject *data;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!", kwlist, &PyBytes_Type, &data))
        return -1;
    if (self->data) {  /* decode() may be running on the current bytes with the GIL released */
        PyErr_SetString(PyExc_RuntimeError, "Decoder already initialised");
        return -1;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    if (n % 4 || n < 8) {
        PyErr_SetString(PyExc_ValueError, "a rANS stream is a multiple of 4 bytes, at least 8");
        return -1;
    }
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_INCREF(data);
    self->data = data;
    self->nwords = n / 4;
    self->x = (uint64_t)word_at(p, 0) | ((uint64_t)word_at(p, 1) << 32);
    self->pos = 2;
    return 0;
}

static int get_int32_buffer(PyObject *obj, Py_buffer *view, int writable, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    const char *f = view->format ? view->format : "B";
    if (view->itemsize != 4 || !(strcmp(f, "i") == 0 || strcmp(f, "=i") == 0 || strcmp(f, "<i") == 0
                                 || (sizeof(long) == 4 && strcmp(f, "l") == 0))) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous int32 buffer", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Refill after a state shrink: a checked read of one word. */
#define RENORM(x, pos)                                        \
    if ((x) < RANS_L) {                                       \
        if ((pos) >= nwords) { status = ST_OVERRUN; break; }  \
        (x) = ((x) << 32) | word_at(bytes, (pos));            \
        (pos)++;                                              \
    }

static int decode_run(const unsigned char *bytes, Py_ssize_t nwords, Py_ssize_t *pos_io, uint64_t *x_io,
                      const TablesObject *tb, const int32_t *idx, int32_t *out, Py_ssize_t count) {
    Py_ssize_t pos = *pos_io;
    uint64_t x = *x_io;
    int status = ST_OK;
    for (Py_ssize_t i = 0; i < count && status == ST_OK; i++) {
        int32_t t = idx[i];
        if (t < 0 || t >= tb->n) { status = ST_INDEX; break; }
        const uint32_t *cdf = tb->cdf + tb->start[t];
        const int32_t L = tb->len[t];
        const int32_t max_value = L - 2;
        const uint32_t cum = (uint32_t)(x & MASK);
        /* bisect_right(cdf, cum, 0, L) - 1: the last s with cdf[s] <= cum */
        int32_t lo = 0, hi = L;
        while (lo < hi) {
            int32_t mid = (int32_t)(((uint32_t)lo + (uint32_t)hi) >> 1);
            if (cum < cdf[mid]) hi = mid; else lo = mid + 1;
        }
        const int32_t s = lo - 1;  /* in [0, L - 2]: cdf[0] == 0 <= cum < 1 << 16 == cdf[L - 1] */
        const uint32_t start = cdf[s];
        x = (uint64_t)(cdf[s + 1] - start) * (x >> PRECISION) + cum - start;
        RENORM(x, pos)
        if (s != max_value) {
            out[i] = (int32_t)(s + tb->offset[t]);  /* in int32: checked by Tables */
            continue;
        }
        /* bypass: the number of 4-bit groups (15 means "15 more, and go on"), then the groups */
        uint32_t groups = 0;
        for (;;) {
            uint32_t val = (uint32_t)(x & BYPASS_MAX);
            x >>= BYPASS_BITS;
            RENORM(x, pos)
            groups += val;
            if (val != BYPASS_MAX) break;
            if (groups > MAX_BYPASS_GROUPS) { status = ST_ESCAPE; break; }
        }
        if (status != ST_OK) break;
        if (groups > MAX_BYPASS_GROUPS) { status = ST_ESCAPE; break; }
        uint64_t raw = 0;
        for (uint32_t j = 0; j < groups; j++) {
            uint32_t val = (uint32_t)(x & BYPASS_MAX);
            x >>= BYPASS_BITS;
            RENORM(x, pos)
            raw |= (uint64_t)val << (BYPASS_BITS * j);
        }
        if (status != ST_OK) break;
        int64_t value = (int64_t)(raw >> 1);
        value = (raw & 1) ? -value - 1 + tb->offset[t] : value + max_value + tb->offset[t];
        if (value < INT32_MIN || value > INT32_MAX) { status = ST_ESCAPE; break; }
        out[i] = (int32_t)value;
    }
    if (status == ST_OK) {
        *pos_io = pos;
        *x_io = x;
    }
    return status;
}

/* decode(tables, indexes, out) -> status: decodes len(indexes) symbols into out (int32). */
static PyObject *Decoder_decode(DecoderObject *self, PyObject *args) {
    PyObject *tables_obj, *idx_obj, *out_obj;
    if (!PyArg_ParseTuple(args, "O!OO", &TablesType, &tables_obj, &idx_obj, &out_obj)) return NULL;
    if (!self->data) {
        PyErr_SetString(PyExc_RuntimeError, "Decoder not initialised");
        return NULL;
    }
    TablesObject *tb = (TablesObject *)tables_obj;
    if (!tb->cdf) {
        PyErr_SetString(PyExc_RuntimeError, "Tables not initialised");
        return NULL;
    }
    Py_buffer iv, ov;
    if (get_int32_buffer(idx_obj, &iv, 0, "indexes") < 0) return NULL;
    if (get_int32_buffer(out_obj, &ov, 1, "out") < 0) { PyBuffer_Release(&iv); return NULL; }
    if (ov.len != iv.len) {
        PyBuffer_Release(&iv);
        PyBuffer_Release(&ov);
        PyErr_SetString(PyExc_ValueError, "indexes and out differ in length");
        return NULL;
    }
    Py_ssize_t count = iv.len / 4;
    PyObject *data = self->data;  /* held for the call: the bytes outlive the GIL-free loop */
    Py_INCREF(data);
    const unsigned char *bytes = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t pos = self->pos;
    uint64_t x = self->x;
    int status;
    Py_INCREF(tb);
    Py_BEGIN_ALLOW_THREADS
    status = decode_run(bytes, self->nwords, &pos, &x, tb, (const int32_t *)iv.buf, (int32_t *)ov.buf, count);
    Py_END_ALLOW_THREADS
    Py_DECREF(tb);
    Py_DECREF(data);
    PyBuffer_Release(&iv);
    PyBuffer_Release(&ov);
    if (status == ST_OK) {
        self->pos = pos;
        self->x = x;
    }
    return PyLong_FromLong(status);
}

static PyObject *Decoder_words_left(DecoderObject *self, void *closure) {
    return PyLong_FromSsize_t(self->data ? self->nwords - self->pos : 0);
}

static PyMethodDef Decoder_methods[] = {
    {"decode", (PyCFunction)Decoder_decode, METH_VARARGS,
     "decode(tables, indexes, out) -> status (0 ok, 1 past the end, 2 bad escape, 3 bad index)"},
    {NULL}
};

static PyGetSetDef Decoder_getset[] = {
    {"words_left", (getter)Decoder_words_left, NULL, "32-bit words not read yet", NULL},
    {NULL}
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lvqac_core.entropy._ransdec.Decoder",
    .tp_basicsize = sizeof(DecoderObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Bounds-checked rANS decoder over one bytes object: Decoder(data).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Decoder_init,
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_methods = Decoder_methods,
    .tp_getset = Decoder_getset,
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_ransdec",
    "Bounds-checked rANS decoder (compiled twin of lvqac_core.entropy.safe_rans).", -1, NULL,
};

PyMODINIT_FUNC PyInit__ransdec(void) {
    if (PyType_Ready(&TablesType) < 0 || PyType_Ready(&DecoderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&TablesType);
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Tables", (PyObject *)&TablesType) < 0 ||
        PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
