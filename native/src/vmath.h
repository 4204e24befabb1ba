// Branch-free float math that GCC vectorises inside `#pragma omp simd` loops (libm calls would stay
// scalar). The formulas match src/backend/scalar.ts; accuracy is a few float32 ulps.
#pragma once

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
  const float xc = std::fmin(std::fmax(x, -104.0f), 88.7228f);
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

// Abramowitz & Stegun 7.1.26, |error| < 1.5e-7 (the same formula as the js backend).
inline float erf_approx(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly =
      t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  return std::copysign(1.0f - poly * exp_approx(-a * a), x);
}

}  // namespace jl
