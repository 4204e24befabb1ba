// Fused causal attention (training, forward and backward) and cached attention (generation), plus rotary
// embeddings. Layouts and math as in src/backend/backend.ts and the reference in src/backend/js-attention.ts.
#pragma once

namespace jl {

void causal_attention(const float* qkv, float* out, float* lse, int batch, int seq, int heads, int head_dim,
                      float scale);
void causal_attention_grad(const float* qkv, const float* out, const float* lse, const float* gy, float* gqkv,
                           int batch, int seq, int heads, int head_dim, float scale);
void cached_attention(const float* qkv, float* k_cache, float* v_cache, float* out, int batch, int seq, int heads,
                      int head_dim, int pos, int capacity, float scale);
void rope(float* x, const float* cos, const float* sin, int batch, int seq, int row_width, int rotated_heads,
          int head_dim, int pos, bool inverse);

}  // namespace jl
