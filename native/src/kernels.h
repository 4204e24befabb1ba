// Native kernels other than GEMM. Each mirrors the function of the same name in src/backend/js.ts; op
// numbers are indices into UNARY_OPS / BINARY_OPS in src/backend/backend.ts.
#pragma once

#include <cstdint>

namespace jl {

enum UnaryOp {
  U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_RELU, U_GELU, U_GELU_TANH,
  U_SILU, U_SOFTPLUS, U_ABS, U_SIN, U_COS, U_SQUARE, U_RECIPROCAL, U_COUNT
};
enum BinaryOp { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_COUNT };

void unary(int op, const float* x, float* y, long n);
void unary_grad(int op, const float* x, const float* gy, float* gx, long n);
// Output is contiguous over `shape`; a and b are read at their strides (0 on broadcast dims).
void binary(int op, const float* a, const float* b, float* out, int rank, const int* shape, const int* as,
            const int* bs);
void copy_strided(const float* x, float* out, int rank, const int* shape, const int* strides, long offset);

void sum_axis(const float* x, float* out, long outer, long size, long inner);
void max_axis(const float* x, float* out, int32_t* argmax, long outer, long size, long inner);
void logsumexp_axis(const float* x, float* out, long outer, long size, long inner);
void cumsum_axis(const float* x, float* out, long outer, long size, long inner);

void softmax(const float* x, float* y, long rows, long cols);
void softmax_grad(const float* y, const float* gy, float* gx, long rows, long cols);
void log_softmax(const float* x, float* y, long rows, long cols);
void log_softmax_grad(const float* y, const float* gy, float* gx, long rows, long cols);
void cross_entropy(const float* x, const int32_t* t, long rows, long cols, int ignore, float* loss, float* lse);
void cross_entropy_grad(const float* x, const int32_t* t, const float* lse, const float* g_loss, long rows,
                        long cols, int ignore, float* gx);

void layer_norm(const float* x, const float* w, const float* b, long rows, long cols, float eps, float* y,
                float* mean, float* rstd);
void layer_norm_grad(const float* x, const float* w, const float* mean, const float* rstd, const float* gy,
                     long rows, long cols, float* gx, float* gw, float* gb);
void rms_norm(const float* x, const float* w, long rows, long cols, float eps, float* y, float* rstd);
void rms_norm_grad(const float* x, const float* w, const float* rstd, const float* gy, long rows, long cols,
                   float* gx, float* gw);

void adamw(float* p, const float* g, float* m, float* v, long n, float lr, float beta1, float beta2, float eps,
           float weight_decay, int step);

}  // namespace jl
