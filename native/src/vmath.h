// Branch-free float math that GCC vectorises inside `#pragma omp simd` loops (libm calls would stay
// scalar). The formulas match src/backend/scalar.ts; accuracy is a few float32 ulps.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace jl {

inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// e^x: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7 Taylor polynomial
// (error < 1e-8 there), and 2^n built straight into exponent bits, in two halves so that results near
// overflow and in the subnormal range come out right.
inline float exp_approx(float x) {
  const float xc = std::min(std::max(x, -104.0f), 88.7228f);  // not fmin/fmax: those do not vectorise
  const float n = std::floor(xc * 1.44269504f + 0.5f);
  const float r = xc - n * 0.693145752f - n * 1.42860677e-6f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t half = ni >> 1;
  const float y = p * bits_to_float((half + 127) << 23) * bits_to_float((ni - half + 127) << 23);
  // Outside the clamp: overflow to inf, underflow to 0, NaN stays NaN.
  return x != x ? x : x > 88.7228f ? INFINITY : x < -104.0f ? 0.0f : y;
}

inline int32_t float_to_bits(float f) {
  int32_t i;
  std::memcpy(&i, &f, sizeof i);
  return i;
}

// log x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172,
// by its odd series to s^9 (error < 1e-9). Subnormals are scaled up by 2^23 first.
inline float log_approx(float x) {
  const bool tiny = x < 1.17549435e-38f;
  const float xs = tiny ? x * 8388608.0f : x;
  const int32_t bits = float_to_bits(xs);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  float m = bits_to_float((bits & 0x007fffff) | 0x3f800000);  // in [1, 2)
  const bool high = m > 1.41421356f;
  m = high ? m * 0.5f : m;
  e = high ? e + 1 : e;
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float series = s * (2.0f + s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9)))));
  const float y = (static_cast<float>(e) - (tiny ? 23.0f : 0.0f)) * 0.693147181f + series;
  // log 0 = -inf, log of a negative = NaN, log inf = inf, NaN stays NaN.
  return x != x ? x : x < 0 ? NAN : x == 0 ? -INFINITY : x == INFINITY ? x : y;
}

// log(1 + e) accurate for tiny e too: log(u) * e / (u - 1) with u = 1 + e cancels u's rounding error.
inline float log1p_approx(float e) {
  const float u = 1.0f + e;
  return u == 1.0f ? e : log_approx(u) * e / (u - 1.0f);
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|), linear above 20 as PyTorch.
inline float softplus_approx(float x) {
  const float y = std::max(x, 0.0f) + log1p_approx(exp_approx(-std::fabs(x)));
  return x > 20.0f ? x : y;
}

// 1 / (1 + e^-x), from e^-|x| so that neither tail loses precision.
inline float sigmoid_approx(float x) {
  const float e = exp_approx(-std::fabs(x));
  return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

// sigmoid'(x) = s (1 - s) = e / (1 + e)^2 with e = e^-|x|: no cancellation in 1 - s.
inline float sigmoid_grad_approx(float x) {
  const float e = exp_approx(-std::fabs(x));
  return e / ((1.0f + e) * (1.0f + e));
}

// tanh via e^(-2|x|); near 0 that form cancels, so there it takes the series x - x^3/3.
inline float tanh_approx(float x) {
  const float a = std::fabs(x);
  const float e = exp_approx(-2.0f * a);
  const float t = (1.0f - e) / (1.0f + e);
  const float small = x * (1.0f - x * x * (1.0f / 3));
  return a < 0.004f ? small : std::copysign(t, x);
}

// tanh'(x) = 1 - tanh^2 = 4e / (1 + e)^2 with e = e^(-2|x|): no cancellation for large |x|.
inline float tanh_grad_approx(float x) {
  const float e = exp_approx(-2.0f * std::fabs(x));
  return 4.0f * e / ((1.0f + e) * (1.0f + e));
}

// Phi(x), the standard normal CDF, through erfc(z), z >= 0, by the Chebyshev fit of Numerical Recipes
// (relative error < 1.2e-7): the same formula as the js backend, with no cancellation in either tail.
inline float normal_cdf_approx(float x) {
  const float z = std::fabs(x) * 0.7071067812f;
  const float t = 1.0f / (1.0f + 0.5f * z);
  const float poly =
      -1.26551223f +
      t * (1.00002368f +
           t * (0.37409196f +
                t * (0.09678418f +
                     t * (-0.18628806f +
                          t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  const float half = 0.5f * t * exp_approx(-z * z + poly);
  return x >= 0 ? 1.0f - half : half;
}

}  // namespace jl
