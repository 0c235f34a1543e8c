/* Restricted unpickler: protocols 0/2/3/4 containers and scalars, memo, allowed globals,
   refusal of code-running globals and opcodes, limits, truncation and malformed input. */
#include "a2a_test.h"
#include "io/pickle.h"

/* pickle.dumps({'a':1,'b':[1.5,'x',None,True,False],'c':(1,2,3),'neg':-70000,'big':2**40,'t':('p',),'e':()})
   at protocols 0, 2, 4, and a few more made by CPython's pickle (see the test names). */
static const char PK0[] = "(dp0\x0aVa\x0ap1\x0aI1\x0asVb\x0ap2\x0a(lp3\x0a""F1.5\x0a""aVx\x0ap4\x0a""aNaI01\x0a""aI00\x0a""asVc\x0ap5\x0a(I1\x0aI2\x0aI3\x0atp6\x0asVneg\x0ap7\x0aI-70000\x0asVbig\x0ap8\x0aL1099511627776L\x0asVt\x0ap9\x0a(Vp\x0ap10\x0atp11\x0asVe\x0ap12\x0a(ts.";
static const char PK2[] = "\x80\x02}q\x00(X\x01\x00\x00\x00""aq\x01K\x01X\x01\x00\x00\x00""bq\x02]q\x03(G\x3f\xf8\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x04N\x88\x89""eX\x01\x00\x00\x00""cq\x05K\x01K\x02K\x03\x87q\x06X\x03\x00\x00\x00negq\x07J\x90\xee\xfe\xffX\x03\x00\x00\x00""bigq\x08\x8a\x06\x00\x00\x00\x00\x00\x01X\x01\x00\x00\x00tq\x09X\x01\x00\x00\x00pq\x0a\x85q\x0bX\x01\x00\x00\x00""eq\x0c)u.";
static const char PK4[] = "\x80\x04\x95W\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01""a\x94K\x01\x8c\x01""b\x94]\x94(G\x3f\xf8\x00\x00\x00\x00\x00\x00\x8c\x01x\x94N\x88\x89""e\x8c\x01""c\x94K\x01K\x02K\x03\x87\x94\x8c\x03neg\x94J\x90\xee\xfe\xff\x8c\x03""big\x94\x8a\x06\x00\x00\x00\x00\x00\x01\x8c\x01t\x94\x8c\x01p\x94\x85\x94\x8c\x01""e\x94)u.";
static const char PK_OD4[] = "\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x0b""collections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01k\x94K\x01s.";
static const char PK_SET4[] = "\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01s\x94\x8f\x94(K\x01K\x02\x90\x8c\x01""f\x94(K\x03\x91\x94u.";
static const char PK_BYTES2[] = "\x80\x02""c_codecs\x0a""encode\x0aq\x00X\x04\x00\x00\x00""ab\xc3\xbfq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.";
static const char PK_BYTES3[] = "\x80\x03""C\x03""ab\xffq\x00.";
static const char PK_UNI0[] = "Vh\xe9\x5cu20ac\x0ap0\x0a.";
static const char PK_STR0[] = "S'it\x5c's\x5cn'\x0ap0\x0a.";

#define LOAD(ctx, lit, out) a2a_pickle_load((ctx), (const uint8_t *)(lit), sizeof(lit) - 1, NULL, (out))

/* Check the object decoded from PK0/PK2/PK4. */
static void check_sample(const a2a_pk_obj *r) {
    CHECK(r && r->kind == A2A_PK_DICT);
    if (!r || r->kind != A2A_PK_DICT) return;
    CHECK_EQ_INT(r->u.dict.n, 7);
    const a2a_pk_obj *a = a2a_pk_dict_get(r, "a"), *b = a2a_pk_dict_get(r, "b"), *c = a2a_pk_dict_get(r, "c");
    CHECK(a && a->kind == A2A_PK_INT && a->u.i == 1);
    CHECK(b && b->kind == A2A_PK_LIST && b->u.seq.n == 5);
    if (b && b->kind == A2A_PK_LIST && b->u.seq.n == 5) {
        CHECK(b->u.seq.items[0]->kind == A2A_PK_FLOAT && b->u.seq.items[0]->u.f == 1.5);
        CHECK(b->u.seq.items[1]->kind == A2A_PK_STR && !strcmp(b->u.seq.items[1]->u.str.ptr, "x"));
        CHECK(b->u.seq.items[2]->kind == A2A_PK_NONE);
        CHECK(b->u.seq.items[3]->kind == A2A_PK_BOOL && b->u.seq.items[3]->u.b);
        CHECK(b->u.seq.items[4]->kind == A2A_PK_BOOL && !b->u.seq.items[4]->u.b);
    }
    CHECK(c && c->kind == A2A_PK_TUPLE && c->u.seq.n == 3 && c->u.seq.items[2]->u.i == 3);
    const a2a_pk_obj *neg = a2a_pk_dict_get(r, "neg"), *big = a2a_pk_dict_get(r, "big");
    CHECK(neg && neg->kind == A2A_PK_INT && neg->u.i == -70000);
    CHECK(big && big->kind == A2A_PK_INT && big->u.i == (int64_t)1 << 40);
    const a2a_pk_obj *t = a2a_pk_dict_get(r, "t"), *e = a2a_pk_dict_get(r, "e");
    CHECK(t && t->kind == A2A_PK_TUPLE && t->u.seq.n == 1 && !strcmp(t->u.seq.items[0]->u.str.ptr, "p"));
    CHECK(e && e->kind == A2A_PK_TUPLE && e->u.seq.n == 0);
    CHECK(a2a_pk_dict_get(r, "missing") == NULL);
}

TEST(test_protocols) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    CHECK_EQ_INT(LOAD(ctx, PK0, &p), A2A_OK);
    check_sample(a2a_pickle_root(p));
    CHECK_EQ_INT(a2a_pickle_protocol(p), 0);
    a2a_pickle_free(p);
    CHECK_EQ_INT(LOAD(ctx, PK2, &p), A2A_OK);
    check_sample(a2a_pickle_root(p));
    CHECK_EQ_INT(a2a_pickle_protocol(p), 2);
    a2a_pickle_free(p);
    CHECK_EQ_INT(LOAD(ctx, PK4, &p), A2A_OK);
    check_sample(a2a_pickle_root(p));
    CHECK_EQ_INT(a2a_pickle_protocol(p), 4);
    a2a_pickle_free(p);
    a2a_ctx_free(ctx);
}

TEST(test_ordered_dict_set_bytes_text) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    CHECK_EQ_INT(LOAD(ctx, PK_OD4, &p), A2A_OK); /* STACK_GLOBAL collections.OrderedDict, REDUCE, SETITEM */
    const a2a_pk_obj *k = a2a_pk_dict_get(a2a_pickle_root(p), "k");
    CHECK(k && k->kind == A2A_PK_INT && k->u.i == 1);
    a2a_pickle_free(p);

    CHECK_EQ_INT(LOAD(ctx, PK_SET4, &p), A2A_OK); /* EMPTY_SET, ADDITEMS, FROZENSET */
    const a2a_pk_obj *s = a2a_pk_dict_get(a2a_pickle_root(p), "s"), *f = a2a_pk_dict_get(a2a_pickle_root(p), "f");
    CHECK(s && s->kind == A2A_PK_SET && s->u.seq.n == 2);
    CHECK(f && f->kind == A2A_PK_SET && f->u.seq.n == 1);
    a2a_pickle_free(p);

    CHECK_EQ_INT(LOAD(ctx, PK_BYTES2, &p), A2A_OK); /* _codecs.encode('ab\xff', 'latin1') */
    const a2a_pk_obj *r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_BYTES && r->u.str.len == 3 && !memcmp(r->u.str.ptr, "ab\xff", 3));
    a2a_pickle_free(p);
    CHECK_EQ_INT(LOAD(ctx, PK_BYTES3, &p), A2A_OK); /* SHORT_BINBYTES */
    r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_BYTES && r->u.str.len == 3 && !memcmp(r->u.str.ptr, "ab\xff", 3));
    a2a_pickle_free(p);

    CHECK_EQ_INT(LOAD(ctx, PK_UNI0, &p), A2A_OK); /* UNICODE with a latin-1 byte and a \u escape */
    r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_STR && !strcmp(r->u.str.ptr, "h\xc3\xa9\xe2\x82\xac"));
    a2a_pickle_free(p);
    CHECK_EQ_INT(LOAD(ctx, PK_STR0, &p), A2A_OK); /* STRING with escapes */
    r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_STR && !strcmp(r->u.str.ptr, "it's\n"));
    a2a_pickle_free(p);
    a2a_ctx_free(ctx);
}

TEST(test_ints_and_memo) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    /* LONG1 with 8 bytes (INT64_MIN), LONG1 of 0 bytes, BININT2, negative LONG1 of 1 byte */
    static const char longs[] = "\x80\x02(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8a\x00M\xff\xff\x8a\x01\xfft.";
    CHECK_EQ_INT(LOAD(ctx, longs, &p), A2A_OK);
    const a2a_pk_obj *r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_TUPLE && r->u.seq.n == 4);
    if (r->kind == A2A_PK_TUPLE && r->u.seq.n == 4) {
        CHECK(r->u.seq.items[0]->u.i == INT64_MIN);
        CHECK(r->u.seq.items[1]->u.i == 0);
        CHECK(r->u.seq.items[2]->u.i == 65535);
        CHECK(r->u.seq.items[3]->u.i == -1);
    }
    a2a_pickle_free(p);
    /* 9-byte LONG1: refused, not truncated */
    static const char big[] = "\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.";
    CHECK_EQ_INT(LOAD(ctx, big, &p), A2A_ERR_UNSUPPORTED);
    static const char bigtext[] = "I99999999999999999999\n.";
    CHECK_EQ_INT(LOAD(ctx, bigtext, &p), A2A_ERR_UNSUPPORTED);
    /* the memo shares objects: a list appended to after being memoized and fetched */
    static const char shared[] = "\x80\x02]q\x00h\x00\x86q\x01h\x00K\x07""a0.";
    CHECK_EQ_INT(LOAD(ctx, shared, &p), A2A_OK);
    r = a2a_pickle_root(p);
    CHECK(r->kind == A2A_PK_TUPLE && r->u.seq.n == 2 && r->u.seq.items[0] == r->u.seq.items[1]);
    CHECK(r->u.seq.items[0]->u.seq.n == 1);
    a2a_pickle_free(p);
    /* a list containing itself (a cycle) loads; walkers must bound depth */
    static const char cycle[] = "\x80\x02]q\x00h\x00""a.";
    CHECK_EQ_INT(LOAD(ctx, cycle, &p), A2A_OK);
    a2a_pickle_free(p);
    a2a_ctx_free(ctx);
}

TEST(test_torch_values) {
    /* pickle.dumps({'dev': torch.device('cuda', 1), 'cpu': torch.device('cpu'), 'shape': torch.Size([2, 3]),
                     'dt': torch.bfloat16}, protocol=2) */
    static const char vals[] = "\x80\x02}q\x00(X\x03\x00\x00\x00""devq\x01""ctorch\x0a""device\x0aq\x02X\x04\x00\x00\x00""cudaq\x03K\x01\x86q\x04Rq\x05X\x03\x00\x00\x00""cpuq\x06h\x02X\x03\x00\x00\x00""cpuq\x07\x85q\x08Rq\x09X\x05\x00\x00\x00shapeq\x0a""ctorch\x0aSize\x0aq\x0bK\x02K\x03\x86q\x0c\x85q\x0dRq\x0eX\x02\x00\x00\x00""dtq\x0f""ctorch\x0a""bfloat16\x0aq\x10u.";
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    CHECK_EQ_INT(LOAD(ctx, vals, &p), A2A_OK);
    const a2a_pk_obj *r = a2a_pickle_root(p);
    char buf[64];
    CHECK(!strcmp(a2a_pk_repr(a2a_pk_dict_get(r, "dev"), buf, sizeof(buf)), "'cuda:1'"));
    CHECK(!strcmp(a2a_pk_repr(a2a_pk_dict_get(r, "cpu"), buf, sizeof(buf)), "'cpu'"));
    const a2a_pk_obj *shape = a2a_pk_dict_get(r, "shape");
    CHECK(shape && shape->kind == A2A_PK_TUPLE && shape->u.seq.n == 2 && shape->u.seq.items[1]->u.i == 3);
    CHECK(!strcmp(a2a_pk_repr(a2a_pk_dict_get(r, "dt"), buf, sizeof(buf)), "torch.bfloat16"));
    a2a_pickle_free(p);
    a2a_ctx_free(ctx);
}

TEST(test_refused_globals) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    static const char os_system[] = "\x80\x02""cos\nsystem\nq\x00X\x0a\x00\x00\x00""echo pwnedq\x01\x85R.";
    CHECK_EQ_INT(LOAD(ctx, os_system, &p), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "'os.system'") != NULL);
    CHECK(p == NULL);
    static const char posix[] = "\x80\x02""cposix\nsystem\n.";
    CHECK_EQ_INT(LOAD(ctx, posix, &p), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "posix.system") != NULL);
    static const char eval4[] = "\x80\x04\x8c\x08""builtins\x8c\x04""eval\x93.";
    CHECK_EQ_INT(LOAD(ctx, eval4, &p), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "builtins.eval") != NULL);
    static const char np[] = "\x80\x02""cnumpy.core.multiarray\n_reconstruct\n.";
    CHECK_EQ_INT(LOAD(ctx, np, &p), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "numpy.core.multiarray._reconstruct") != NULL);
    static const char module[] = "\x80\x02""ctorch.nn.modules.linear\nLinear\n.";
    CHECK_EQ_INT(LOAD(ctx, module, &p), A2A_ERR_UNSUPPORTED);
    /* INST / OBJ / NEWOBJ_EX / EXT opcodes never instantiate anything */
    static const char inst[] = "(ios\nsystem\n.";
    CHECK_EQ_INT(LOAD(ctx, inst, &p), A2A_ERR_UNSUPPORTED);
    static const char obj[] = "(ccollections\nOrderedDict\no.";
    CHECK_EQ_INT(LOAD(ctx, obj, &p), A2A_ERR_UNSUPPORTED);
    static const char ext[] = "\x80\x02\x82\x01.";
    CHECK_EQ_INT(LOAD(ctx, ext, &p), A2A_ERR_UNSUPPORTED);
    /* allowed globals can only be called with the right arguments */
    static const char odargs[] = "\x80\x02""ccollections\nOrderedDict\nK\x01\x85R.";
    CHECK_EQ_INT(LOAD(ctx, odargs, &p), A2A_ERR_UNSUPPORTED);
    static const char rebuild_bad[] = "\x80\x02""ctorch._utils\n_rebuild_tensor_v2\nK\x01\x85R.";
    CHECK_EQ_INT(LOAD(ctx, rebuild_bad, &p), A2A_ERR_FORMAT);
    static const char call_storage[] = "\x80\x02""ctorch\nFloatStorage\n)R.";
    CHECK_EQ_INT(LOAD(ctx, call_storage, &p), A2A_ERR_UNSUPPORTED);
    static const char persid_str[] = "\x80\x02X\x01\x00\x00\x00xQ.";
    CHECK_EQ_INT(LOAD(ctx, persid_str, &p), A2A_ERR_UNSUPPORTED);
    CHECK(p == NULL);
    a2a_ctx_free(ctx);
}

TEST(test_tensor_rebuild) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    /* _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 6) persid, 1, (2, 2), (2, 1), False, OrderedDict()) */
    static const char t[] = "\x80\x02""ctorch._utils\n_rebuild_tensor_v2\n(("
                            "X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00""0X\x03\x00\x00\x00""cpuK\x06tQ"
                            "K\x01K\x02K\x02\x86K\x02K\x01\x86\x89""ccollections\nOrderedDict\n)RtR.";
    CHECK_EQ_INT(LOAD(ctx, t, &p), A2A_OK);
    const a2a_pk_obj *r = a2a_pickle_root(p);
    CHECK(r && r->kind == A2A_PK_TENSOR);
    if (r && r->kind == A2A_PK_TENSOR) {
        CHECK_EQ_INT(r->u.tensor.ndim, 2);
        CHECK_EQ_INT(r->u.tensor.offset, 1);
        CHECK_EQ_INT(r->u.tensor.size[0], 2);
        CHECK_EQ_INT(r->u.tensor.stride[0], 2);
        CHECK_EQ_INT(r->u.tensor.storage->u.storage.dtype, A2A_PKD_F32);
        CHECK(!strcmp(r->u.tensor.storage->u.storage.key, "0"));
        CHECK_EQ_INT(r->u.tensor.storage->u.storage.numel, 6);
        char buf[64];
        CHECK(!strcmp(a2a_pk_repr(r, buf, sizeof(buf)), "tensor float32 [2, 2]"));
    }
    a2a_pickle_free(p);
    /* negative size and mismatched stride length are refused */
    static const char negsize[] = "\x80\x02""ctorch._utils\n_rebuild_tensor\n(("
                                  "X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00""0X\x03\x00\x00\x00""cpuK\x06tQ"
                                  "K\x00J\xff\xff\xff\xff\x85K\x01\x85tR.";
    CHECK_EQ_INT(LOAD(ctx, negsize, &p), A2A_ERR_FORMAT);
    static const char badstride[] = "\x80\x02""ctorch._utils\n_rebuild_tensor\n(("
                                    "X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x00""0X\x03\x00\x00\x00""cpuK\x06tQ"
                                    "K\x00K\x02\x85K\x01K\x01\x86tR.";
    CHECK_EQ_INT(LOAD(ctx, badstride, &p), A2A_ERR_FORMAT);
    /* a persistent id of another kind */
    static const char badpid[] = "\x80\x02(X\x06\x00\x00\x00moduleK\x01K\x02K\x03K\x04tQ.";
    CHECK_EQ_INT(LOAD(ctx, badpid, &p), A2A_ERR_UNSUPPORTED);
    a2a_ctx_free(ctx);
}

TEST(test_malformed) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    static const char empty_stop[] = ".";
    CHECK_EQ_INT(LOAD(ctx, empty_stop, &p), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "underflow") != NULL);
    static const char append_nothing[] = "\x80\x02K\x01""a.";
    CHECK_EQ_INT(LOAD(ctx, append_nothing, &p), A2A_ERR_FORMAT);
    static const char below_mark[] = "\x80\x02K\x01(0.";  /* POP of the MARK, then STOP ok */
    CHECK_EQ_INT(LOAD(ctx, below_mark, &p), A2A_OK);
    a2a_pickle_free(p);
    static const char tuple_below_mark[] = "\x80\x02K\x01(\x85.";
    CHECK_EQ_INT(LOAD(ctx, tuple_below_mark, &p), A2A_ERR_FORMAT);
    static const char no_mark[] = "\x80\x02K\x01t.";
    CHECK_EQ_INT(LOAD(ctx, no_mark, &p), A2A_ERR_FORMAT);
    static const char unknown[] = "\x80\x02\xff.";
    CHECK_EQ_INT(LOAD(ctx, unknown, &p), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "unknown opcode 0xff") != NULL);
    static const char huge_memo[] = "\x80\x02Nr\xff\xff\xff\xff.";
    CHECK_EQ_INT(LOAD(ctx, huge_memo, &p), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "memo index") != NULL);
    static const char unset_memo[] = "\x80\x02h\x05.";
    CHECK_EQ_INT(LOAD(ctx, unset_memo, &p), A2A_ERR_FORMAT);
    static const char long_str[] = "\x80\x02X\xff\xff\xff\x7f""abc.";
    CHECK_EQ_INT(LOAD(ctx, long_str, &p), A2A_ERR_FORMAT);
    static const char no_stop[] = "\x80\x02K\x01";
    CHECK_EQ_INT(LOAD(ctx, no_stop, &p), A2A_ERR_FORMAT);
    static const char setitem_list[] = "\x80\x02]K\x01K\x02s.";
    CHECK_EQ_INT(LOAD(ctx, setitem_list, &p), A2A_ERR_FORMAT);
    static const char proto9[] = "\x80\x09N.";
    CHECK_EQ_INT(LOAD(ctx, proto9, &p), A2A_ERR_UNSUPPORTED);
    static const char bad_float[] = "F1.5x\n.";
    CHECK_EQ_INT(LOAD(ctx, bad_float, &p), A2A_ERR_FORMAT);
    static const char frame_past[] = "\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.";
    CHECK_EQ_INT(LOAD(ctx, frame_past, &p), A2A_ERR_FORMAT);
    CHECK(p == NULL);
    a2a_ctx_free(ctx);
}

TEST(test_limits) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_pickle *p = NULL;
    /* deep nesting: 200k MARKs, then 200k EMPTY_LISTs on the stack */
    size_t n = 200000;
    uint8_t *buf = malloc(n + 3);
    buf[0] = 0x80, buf[1] = 2;
    memset(buf + 2, '(', n);
    buf[n + 2] = '.';
    CHECK_EQ_INT(a2a_pickle_load(ctx, buf, n + 3, NULL, &p), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "MARK") != NULL);
    memset(buf + 2, ']', n);
    CHECK_EQ_INT(a2a_pickle_load(ctx, buf, n + 3, NULL, &p), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "stack deeper") != NULL);
    /* nested lists 50k deep built with APPEND are fine for the unpickler */
    size_t depth = 50000, k = 2;
    uint8_t *nest = malloc(2 + 2 * depth + 1);
    nest[0] = 0x80, nest[1] = 2;
    for (size_t i = 0; i < depth; i++) nest[k++] = ']';
    for (size_t i = 0; i + 1 < depth; i++) nest[k++] = 'a';
    nest[k++] = '.';
    CHECK_EQ_INT(a2a_pickle_load(ctx, nest, k, NULL, &p), A2A_OK);
    a2a_pickle_free(p);
    /* object limit */
    a2a_pickle_limits lim = a2a_pickle_default_limits();
    lim.max_objects = 100;
    CHECK_EQ_INT(a2a_pickle_load(ctx, nest, k, &lim, &p), A2A_ERR_NOMEM);
    free(nest);
    free(buf);
    a2a_ctx_free(ctx);
}

TEST(test_every_prefix) {
    /* every truncation of valid pickles fails cleanly (STOP is the last byte) */
    a2a_ctx *ctx = a2a_ctx_new();
    const char *lits[] = {PK0, PK2, PK4, PK_OD4, PK_SET4, PK_BYTES2};
    size_t lens[] = {sizeof(PK0) - 1, sizeof(PK2) - 1, sizeof(PK4) - 1, sizeof(PK_OD4) - 1, sizeof(PK_SET4) - 1, sizeof(PK_BYTES2) - 1};
    int bad = 0;
    for (int j = 0; j < 6; j++) {
        for (size_t n = 0; n < lens[j]; n++) {
            uint8_t *copy = malloc(n ? n : 1); /* exact-size copy so ASan sees overreads */
            memcpy(copy, lits[j], n);
            a2a_pickle *p = NULL;
            if (a2a_pickle_load(ctx, copy, n, NULL, &p) == A2A_OK) bad++, a2a_pickle_free(p);
            free(copy);
        }
    }
    CHECK_EQ_INT(bad, 0);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_protocols, test_ordered_dict_set_bytes_text, test_ints_and_memo, test_torch_values, test_refused_globals, test_tensor_rebuild,
          test_malformed, test_limits, test_every_prefix)
