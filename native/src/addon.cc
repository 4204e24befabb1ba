// Bindings of the core kernels (GEMM, pointwise, reductions, rows, attention, optimizer): unpack numbers
// and typed arrays, check every array is long enough for the indices the kernel will touch, and call it.
// The JS side is src/backend/native.ts.
#include "napi_args.h"

#include "attention.h"
#include "gemm.h"
#include "kernels.h"
#include "parallel.h"

namespace {

using jl::Args;

// Elements a strided walk over `shape` reaches: 1 + the largest offset (0 when the shape is empty).
size_t extent(int rank, const int32_t* shape, const int32_t* strides, long offset) {
  long last = offset;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 0) return 0;
    last += static_cast<long>(shape[d] - 1) * strides[d];
  }
  return static_cast<size_t>(last + 1);
}

size_t count(int rank, const int32_t* shape) {
  size_t n = 1;
  for (int d = 0; d < rank; d++) n *= shape[d];
  return n;
}

// Elements a batch of row-major matrices reaches.
size_t matrix_extent(long batch, long stride, long rows, long cols, long ld) {
  if (batch == 0 || rows == 0 || cols == 0) return 0;
  return static_cast<size_t>((batch - 1) * stride + (rows - 1) * ld + cols);
}

void gemm(const Args& a) {
  const long batch = a.integer(0), m = a.integer(1), n = a.integer(2), k = a.integer(3);
  const bool ta = a.flag(4), tb = a.flag(5);
  const float alpha = static_cast<float>(a.num(6)), beta = static_cast<float>(a.num(7));
  const long lda = a.integer(9), sa = a.integer(10), ldb = a.integer(12), sb = a.integer(13);
  const long ldc = a.integer(15), sc = a.integer(16);
  const float* A = a.f32(8, matrix_extent(batch, sa, ta ? k : m, ta ? m : k, lda));
  const float* B = a.f32(11, matrix_extent(batch, sb, tb ? n : k, tb ? k : n, ldb));
  float* C = a.f32(14, matrix_extent(batch, sc, m, n, ldc));
  if (lda < (ta ? m : k) || ldb < (tb ? k : n) || ldc < n) a.fail("leading dimension smaller than a row");
  jl::sgemm_batched(static_cast<int>(batch), ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
                    A, static_cast<int>(lda), sa, B, static_cast<int>(ldb), sb, beta, C, static_cast<int>(ldc), sc);
}

int op_index(const Args& a, size_t i, int limit) {
  const long op = a.integer(i);
  if (op >= limit) a.fail("unknown op " + std::to_string(op));
  return static_cast<int>(op);
}

void unary(const Args& a) {
  const int op = op_index(a, 0, jl::U_COUNT);
  size_t n;
  const float* x = a.array<float>(1, napi_float32_array, &n, false);
  jl::unary(op, x, a.f32(2, n), static_cast<long>(n));
}

void unary_grad(const Args& a) {
  const int op = op_index(a, 0, jl::U_COUNT);
  size_t n;
  const float* x = a.array<float>(1, napi_float32_array, &n, false);
  jl::unary_grad(op, x, a.f32(2, n), a.f32(3, n), static_cast<long>(n));
}

// dims = [rank, ...shape, ...strides of each operand]
const int32_t* unpack_dims(const Args& a, size_t i, int operands, int* rank) {
  size_t len;
  const int32_t* dims = a.i32(i, 1, &len);
  *rank = dims[0];
  if (*rank < 0 || len < static_cast<size_t>(1 + (1 + operands) * *rank)) a.fail("malformed dims");
  for (int d = 0; d < *rank; d++) {
    if (dims[1 + d] < 0) a.fail("negative size");
  }
  return dims + 1;
}

void binary(const Args& a) {
  const int op = op_index(a, 0, jl::B_COUNT);
  int rank;
  const int32_t* shape = unpack_dims(a, 4, 2, &rank);
  const int32_t* as = shape + rank;
  const int32_t* bs = as + rank;
  const float* x = a.f32(1, extent(rank, shape, as, 0));
  const float* y = a.f32(2, extent(rank, shape, bs, 0));
  float* out = a.f32(3, count(rank, shape));
  if (count(rank, shape) == 0) return;
  jl::binary(op, x, y, out, rank, shape, as, bs);
}

void copy_strided(const Args& a) {
  int rank;
  const int32_t* shape = unpack_dims(a, 2, 1, &rank);
  const long offset = a.integer(3);
  const float* x = a.f32(0, extent(rank, shape, shape + rank, offset));
  float* out = a.f32(1, count(rank, shape));
  if (count(rank, shape) == 0) return;
  jl::copy_strided(x, out, rank, shape, shape + rank, offset);
}

template <void (*K)(const float*, float*, long, long, long)>
void axis(const Args& a) {
  const long outer = a.integer(2), size = a.integer(3), inner = a.integer(4);
  K(a.f32(0, outer * size * inner), a.f32(1, outer * inner), outer, size, inner);
}

void max_axis(const Args& a) {
  const long outer = a.integer(3), size = a.integer(4), inner = a.integer(5);
  if (size == 0 && outer * inner > 0) a.fail("cannot reduce over an empty dim");
  jl::max_axis(a.f32(0, outer * size * inner), a.f32(1, outer * inner),
               a.i32(2, outer * inner), outer, size, inner);
}

template <void (*K)(const float*, float*, long, long)>
void rows2(const Args& a) {
  const long rows = a.integer(2), cols = a.integer(3);
  K(a.f32(0, rows * cols), a.f32(1, rows * cols), rows, cols);
}

template <void (*K)(const float*, const float*, float*, long, long)>
void rows3(const Args& a) {
  const long rows = a.integer(3), cols = a.integer(4);
  K(a.f32(0, rows * cols), a.f32(1, rows * cols), a.f32(2, rows * cols), rows, cols);
}

void check_targets(const Args& a, const int32_t* t, long rows, long cols, int ignore) {
  for (long r = 0; r < rows; r++) {
    if (t[r] != ignore && (t[r] < 0 || t[r] >= cols)) a.fail("target " + std::to_string(t[r]) + " out of range");
  }
}

void cross_entropy(const Args& a) {
  const long rows = a.integer(2), cols = a.integer(3);
  const int ignore = static_cast<int>(a.num(4));
  const int32_t* t = a.i32(1, rows);
  check_targets(a, t, rows, cols, ignore);
  jl::cross_entropy(a.f32(0, rows * cols), t, rows, cols, ignore, a.f32(5, rows), a.f32(6, rows));
}

void cross_entropy_grad(const Args& a) {
  const long rows = a.integer(4), cols = a.integer(5);
  const int ignore = static_cast<int>(a.num(6));
  const int32_t* t = a.i32(1, rows);
  check_targets(a, t, rows, cols, ignore);
  jl::cross_entropy_grad(a.f32(0, rows * cols), t, a.f32(2, rows), a.f32(3, rows), rows, cols, ignore,
                         a.f32(7, rows * cols));
}

void layer_norm(const Args& a) {
  const long rows = a.integer(3), cols = a.integer(4);
  jl::layer_norm(a.f32(0, rows * cols), a.f32_or_null(1, cols), a.f32_or_null(2, cols), rows, cols,
                 static_cast<float>(a.num(5)), a.f32(6, rows * cols), a.f32(7, rows), a.f32(8, rows));
}

void layer_norm_grad(const Args& a) {
  const long rows = a.integer(5), cols = a.integer(6);
  jl::layer_norm_grad(a.f32(0, rows * cols), a.f32_or_null(1, cols), a.f32(2, rows), a.f32(3, rows),
                      a.f32(4, rows * cols), rows, cols, a.f32(7, rows * cols), a.f32_or_null(8, cols),
                      a.f32_or_null(9, cols));
}

void rms_norm(const Args& a) {
  const long rows = a.integer(2), cols = a.integer(3);
  jl::rms_norm(a.f32(0, rows * cols), a.f32_or_null(1, cols), rows, cols, static_cast<float>(a.num(4)),
               a.f32(5, rows * cols), a.f32(6, rows));
}

void rms_norm_grad(const Args& a) {
  const long rows = a.integer(4), cols = a.integer(5);
  jl::rms_norm_grad(a.f32(0, rows * cols), a.f32_or_null(1, cols), a.f32(2, rows), a.f32(3, rows * cols), rows,
                    cols, a.f32(6, rows * cols), a.f32_or_null(7, cols));
}

void adamw(const Args& a) {
  size_t n;
  float* p = a.array<float>(0, napi_float32_array, &n, false);
  jl::adamw(p, a.f32(1, n), a.f32(2, n), a.f32(3, n), static_cast<long>(n), static_cast<float>(a.num(4)),
            static_cast<float>(a.num(5)), static_cast<float>(a.num(6)), static_cast<float>(a.num(7)),
            static_cast<float>(a.num(8)), static_cast<int>(a.integer(9)));
}

struct AttentionShape {
  int batch, seq, heads, head_dim;
  size_t qkv() const { return static_cast<size_t>(batch) * seq * 3 * heads * head_dim; }
  size_t out() const { return static_cast<size_t>(batch) * seq * heads * head_dim; }
  size_t rows() const { return static_cast<size_t>(batch) * heads * seq; }
};

AttentionShape attention_shape(const Args& a, size_t first) {
  return {static_cast<int>(a.integer(first)), static_cast<int>(a.integer(first + 1)),
          static_cast<int>(a.integer(first + 2)), static_cast<int>(a.integer(first + 3))};
}

void causal_attention(const Args& a) {
  const AttentionShape s = attention_shape(a, 3);
  jl::causal_attention(a.f32(0, s.qkv()), a.f32(1, s.out()), a.f32(2, s.rows()), s.batch, s.seq, s.heads,
                       s.head_dim, static_cast<float>(a.num(7)));
}

void causal_attention_grad(const Args& a) {
  const AttentionShape s = attention_shape(a, 5);
  jl::causal_attention_grad(a.f32(0, s.qkv()), a.f32(1, s.out()), a.f32(2, s.rows()), a.f32(3, s.out()),
                            a.f32(4, s.qkv()), s.batch, s.seq, s.heads, s.head_dim, static_cast<float>(a.num(9)));
}

void cached_attention(const Args& a) {
  const AttentionShape s = attention_shape(a, 4);
  const long pos = a.integer(8), capacity = a.integer(9);
  if (pos + s.seq > capacity) a.fail("cache of " + std::to_string(capacity) + " positions is full");
  const size_t cache = static_cast<size_t>(s.batch) * s.heads * capacity * s.head_dim;
  jl::cached_attention(a.f32(0, s.qkv()), a.f32(1, cache), a.f32(2, cache), a.f32(3, s.out()), s.batch, s.seq,
                       s.heads, s.head_dim, static_cast<int>(pos), static_cast<int>(capacity),
                       static_cast<float>(a.num(10)));
}

void rope(const Args& a) {
  const long batch = a.integer(3), seq = a.integer(4), width = a.integer(5), heads = a.integer(6);
  const long head_dim = a.integer(7), pos = a.integer(8);
  if (head_dim % 2 != 0 || heads * head_dim > width) a.fail("heads do not fit the row");
  const size_t table = static_cast<size_t>(pos + seq) * (head_dim / 2);
  jl::rope(a.f32(0, static_cast<size_t>(batch) * seq * width), a.f32(1, table), a.f32(2, table),
           static_cast<int>(batch), static_cast<int>(seq), static_cast<int>(width), static_cast<int>(heads),
           static_cast<int>(head_dim), static_cast<int>(pos), a.flag(9));
}

void set_num_threads(const Args& a) {
  const long n = a.integer(0);
  if (n < 1) a.fail("need at least one thread");
  jl::set_num_threads(static_cast<int>(n));
}

}  // namespace

JL_EXPORT("gemm", gemm);
JL_EXPORT("unary", unary);
JL_EXPORT("unaryGrad", unary_grad);
JL_EXPORT("binary", binary);
JL_EXPORT("copyStrided", copy_strided);
JL_EXPORT("maxAxis", max_axis);
JL_EXPORT("crossEntropy", cross_entropy);
JL_EXPORT("crossEntropyGrad", cross_entropy_grad);
JL_EXPORT("layerNorm", layer_norm);
JL_EXPORT("layerNormGrad", layer_norm_grad);
JL_EXPORT("rmsNorm", rms_norm);
JL_EXPORT("rmsNormGrad", rms_norm_grad);
JL_EXPORT("causalAttention", causal_attention);
JL_EXPORT("causalAttentionGrad", causal_attention_grad);
JL_EXPORT("cachedAttention", cached_attention);
JL_EXPORT("rope", rope);
JL_EXPORT("adamw", adamw);
JL_EXPORT("setNumThreads", set_num_threads);

// Template instances get names of their own so the registry macro can label them.
namespace {
const auto sum_axis = axis<jl::sum_axis>;
const auto logsumexp_axis = axis<jl::logsumexp_axis>;
const auto cumsum_axis = axis<jl::cumsum_axis>;
const auto softmax = rows2<jl::softmax>;
const auto softmax_grad = rows3<jl::softmax_grad>;
const auto log_softmax = rows2<jl::log_softmax>;
const auto log_softmax_grad = rows3<jl::log_softmax_grad>;
}  // namespace

JL_EXPORT("sumAxis", sum_axis);
JL_EXPORT("logsumexpAxis", logsumexp_axis);
JL_EXPORT("cumsumAxis", cumsum_axis);
JL_EXPORT("softmax", softmax);
JL_EXPORT("softmaxGrad", softmax_grad);
JL_EXPORT("logSoftmax", log_softmax);
JL_EXPORT("logSoftmaxGrad", log_softmax_grad);
