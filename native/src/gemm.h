// Single-precision matrix multiply (row-major), the core of matmul and its
// backward pass.
#pragma once

namespace jl {

// C = alpha * op(A) * op(B) + beta * C, all row-major.
// op(A) is m x k: A is m x k (lda >= k) or, when transA, k x m (lda >= m).
// op(B) is k x n: B is k x n (ldb >= n) or, when transB, n x k (ldb >= k).
// C is m x n (ldc >= n). beta == 0 means C is write-only (it may hold NaN
// garbage). Any of m, n, k may be 0. Uses jl::parallel_for.
void sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
           const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

// `batch` independent GEMMs with the same shape; matrix b of each operand
// starts at (operand) + b * stride. A stride of 0 broadcasts that operand
// across the batch (C must not be broadcast).
void sgemm_batched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
                   const float* A, int lda, long strideA, const float* B, int ldb, long strideB,
                   float beta, float* C, int ldc, long strideC);

}  // namespace jl
