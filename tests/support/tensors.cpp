#include "support/tensors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>

namespace sensix::testing {

Tensor random_tensor(Shape shape, uint32_t seed, float lo, float hi) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.values<float>()) v = dist(gen);
  return t;
}

bool all_finite(const Tensor& t) {
  auto v = t.values<float>();
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto va = a.values<float>();
  auto vb = b.values<float>();
  if (va.size() != vb.size()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(double(va[i]) - vb[i]));
  return m;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (float v : t.values<float>()) m = std::max(m, std::fabs(double(v)));
  return m;
}

}  // namespace sensix::testing
