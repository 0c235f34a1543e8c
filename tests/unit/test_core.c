/* Core: type traits and GGUF block sizes, F16/BF16 conversions, tensor views, arenas,
   threadpool, error messages. */
#include "a2a_test.h"
#include "core/arena.h"
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"

#include <stdatomic.h>
#include <unistd.h>

TEST(test_type_traits) {
    CHECK_EQ_INT(a2a_type_info(A2A_TYPE_Q4_K)->size, 144);
    CHECK_EQ_INT(a2a_type_info(A2A_TYPE_Q6_K)->blck, 256);
    CHECK(a2a_type_info(4) == NULL); /* removed ggml id */
    CHECK(a2a_type_info(-1) == NULL);
    CHECK(a2a_type_info(1000) == NULL);
    CHECK_EQ_INT(a2a_type_from_name("Q4_K"), A2A_TYPE_Q4_K);
    CHECK_EQ_INT(a2a_type_from_name("bf16"), A2A_TYPE_BF16);
    CHECK_EQ_INT(a2a_type_from_name("nope"), -1);
    size_t rs;
    CHECK(a2a_row_size(A2A_TYPE_Q8_0, 64, &rs) && rs == 68);
    CHECK(!a2a_row_size(A2A_TYPE_Q8_0, 33, &rs));
    CHECK(!a2a_row_size(A2A_TYPE_F32, INT64_MAX, &rs));
}

TEST(test_fp16_exhaustive) {
    /* every half converts to float and back unchanged (NaNs stay NaN) */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = a2a_fp16_to_f32((a2a_fp16)h);
        a2a_fp16 back = a2a_f32_to_fp16(f);
        if (f != f) { if (a2a_fp16_to_f32(back) == a2a_fp16_to_f32(back)) bad++; }
        else if (back != h) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(a2a_fp16_to_f32(0x3c00) == 1.0f);
    CHECK(a2a_f32_to_fp16(65504.0f) == 0x7bff);
    CHECK(a2a_f32_to_fp16(65520.0f) == 0x7c00);
    CHECK(a2a_f32_to_fp16(1.0f + 1.0f / 2048) == 0x3c00);            /* tie to even */
    CHECK(a2a_f32_to_fp16(1.0f + 3.0f / 2048) == 0x3c02);            /* tie to even, up */
    CHECK(a2a_f32_to_fp16(5.9604645e-08f) == 0x0001);                /* smallest subnormal */
    CHECK(a2a_f32_to_fp16(2.9802322e-08f) == 0x0000);                /* half of it: tie to 0 */
    CHECK(a2a_f32_to_fp16(-0.0f) == 0x8000);
}

TEST(test_bf16) {
    CHECK(a2a_f32_to_bf16(1.0f) == 0x3f80);
    CHECK(a2a_bf16_to_f32(0x3f80) == 1.0f);
    CHECK(a2a_f32_to_bf16(a2a_bits_to_f32(0x3f808000u)) == 0x3f80); /* tie to even */
    CHECK(a2a_f32_to_bf16(a2a_bits_to_f32(0x3f818000u)) == 0x3f82);
    float nan = a2a_bits_to_f32(0x7fc00001u);
    CHECK(a2a_bf16_to_f32(a2a_f32_to_bf16(nan)) != a2a_bf16_to_f32(a2a_f32_to_bf16(nan)));
}

TEST(test_tensor_views) {
    float data[2 * 3 * 4];
    for (int i = 0; i < 24; i++) data[i] = (float)i;
    a2a_tensor t = a2a_tensor_make(A2A_TYPE_F32, data, 4, 3, 2, 1);
    CHECK_EQ_INT(t.n_dims, 3);
    CHECK(a2a_tensor_is_contiguous(&t));
    CHECK_EQ_INT(a2a_tensor_nbytes(&t), sizeof(data));
    a2a_tensor tr = a2a_tensor_transpose(&t);
    CHECK_EQ_INT(tr.ne[0], 3);
    CHECK_EQ_INT(tr.ne[1], 4);
    CHECK(!a2a_tensor_is_contiguous(&tr));
    CHECK(*(float *)a2a_tensor_ptr(&tr, 2, 1, 1, 0, 0) == 1 + 2 * 4 + 1 * 12);
    int64_t ne[3] = {2, 2, 1}, off[3] = {1, 1, 1};
    a2a_tensor v = a2a_tensor_view(&t, 3, ne, off);
    CHECK(*(float *)a2a_tensor_ptr(&v, 0, 0, 0, 0, 0) == 1 + 4 + 12);
    CHECK(*(float *)a2a_tensor_ptr(&v, 1, 1, 0, 0, 0) == 2 + 8 + 12);
    int64_t ne2[2] = {6, 4};
    a2a_tensor r = a2a_tensor_reshape(&t, 2, ne2);
    CHECK(*(float *)a2a_tensor_ptr(&r, 5, 3, 0, 0, 0) == 23);
    a2a_tensor bad;
    int64_t huge[2] = {INT64_MAX / 2, INT64_MAX / 2};
    CHECK(!a2a_tensor_init(&bad, A2A_TYPE_F32, 2, huge, NULL));
    int64_t neg[1] = {-1};
    CHECK(!a2a_tensor_init(&bad, A2A_TYPE_F32, 1, neg, NULL));
    int64_t odd[1] = {33};
    CHECK(!a2a_tensor_init(&bad, A2A_TYPE_Q4_0, 1, odd, NULL));
    char buf[64];
    CHECK(strcmp(a2a_tensor_shape_str(&t, buf, sizeof(buf)), "[4, 3, 2]") == 0);
}

TEST(test_arena) {
    a2a_arena m;
    a2a_arena_init_measure(&m);
    a2a_tensor t;
    int64_t ne[2] = {10, 10};
    CHECK(a2a_arena_tensor(&m, &t, A2A_TYPE_F32, 2, ne));
    CHECK(a2a_arena_tensor(&m, &t, A2A_TYPE_F16, 2, ne));
    size_t need = m.peak;
    CHECK(need >= 600);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_arena a;
    CHECK(a2a_arena_init(ctx, &a, need) == A2A_OK);
    CHECK(a2a_arena_tensor(&a, &t, A2A_TYPE_F32, 2, ne) && t.data && ((uintptr_t)t.data % 64) == 0);
    size_t mark = a2a_arena_mark(&a);
    CHECK(a2a_arena_tensor(&a, &t, A2A_TYPE_F16, 2, ne));
    CHECK(!a2a_arena_alloc(&a, 1)); /* full */
    a2a_arena_rewind(&a, mark);
    CHECK(a2a_arena_alloc(&a, 1) != NULL);
    CHECK(a2a_arena_alloc(&a, SIZE_MAX) == NULL);
    a2a_arena_free(&a);
    a2a_ctx_free(ctx);
}

typedef struct { int64_t *out; } sum_arg;
static void fill_task(void *p, int64_t i0, int64_t i1, int ith, int nth) {
    sum_arg *a = p;
    for (int64_t i = i0; i < i1; i++) a->out[i] = i * 2 + (ith < nth ? 0 : 1000000);
}
TEST(test_threadpool) {
    a2a_ctx *ctx = a2a_ctx_new();
    for (int nt = 1; nt <= 4; nt++) {
        a2a_threadpool *tp;
        CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
        CHECK_EQ_INT(a2a_threadpool_size(tp), nt);
        for (int rep = 0; rep < 50; rep++) {
            int64_t n = 1 + rep * 37;
            int64_t *out = calloc((size_t)n, sizeof(int64_t));
            sum_arg a = {out};
            a2a_parallel_for(tp, n, 3, fill_task, &a);
            int ok = 1;
            for (int64_t i = 0; i < n; i++) ok &= out[i] == i * 2;
            CHECK(ok);
            free(out);
        }
        a2a_threadpool_free(tp);
    }
    CHECK(a2a_cpu_count() >= 1);
    a2a_ctx_free(ctx);
}

typedef struct { _Atomic long sum; } count_arg;
static void count_task(void *p, int64_t i0, int64_t i1, int ith, int nth) {
    count_arg *a = p;
    atomic_fetch_add(&a->sum, (long)(i1 - i0));
}
/* Many back-to-back tiny jobs: exercises the spin/sleep hand-over between dispatches, with idle
   gaps so that workers also go to sleep and must be woken. */
TEST(test_threadpool_stress) {
    a2a_ctx *ctx = a2a_ctx_new();
    for (int nt = 2; nt <= 3; nt++) {
        a2a_threadpool *tp;
        CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
        long expect = 0;
        count_arg a;
        atomic_store(&a.sum, 0);
        for (int rep = 0; rep < 2000; rep++) {
            a2a_parallel_for(tp, 7, 1, count_task, &a);
            expect += 7;
            if (rep % 500 == 0) usleep(2000); /* let workers fall asleep */
        }
        CHECK_EQ_INT(atomic_load(&a.sum), expect);
        a2a_threadpool_free(tp);
    }
    a2a_ctx_free(ctx);
}

TEST(test_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK(strcmp(a2a_last_error(ctx), "no error") == 0);
    CHECK(a2a_fail(ctx, A2A_ERR_FORMAT, "bad %d", 7) == A2A_ERR_FORMAT);
    a2a_error_prefix(ctx, "file %s", "x.gguf");
    CHECK(strcmp(a2a_last_error(ctx), "file x.gguf: bad 7") == 0);
    CHECK(strcmp(a2a_status_str(A2A_ERR_NOMEM), "out of memory") == 0);
    a2a_ctx_free(ctx);
}

TEST(test_cpu_levels) {
    a2a_kernel_level max = a2a_kernel_level_max();
    CHECK(a2a_kernel_level_set(A2A_LEVEL_REF) == A2A_LEVEL_REF);
    CHECK(a2a_kernel_level_get() == A2A_LEVEL_REF);
    CHECK(a2a_kernel_level_set(A2A_LEVEL_AMX) == max);
    CHECK(a2a_cpu_features_str()[0] != 0);
}

TEST_MAIN(test_type_traits, test_fp16_exhaustive, test_bf16, test_tensor_views, test_arena, test_threadpool, test_threadpool_stress, test_errors,
          test_cpu_levels)
