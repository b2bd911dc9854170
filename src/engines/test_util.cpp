#include "engines/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <vector>

#include "common/paths.h"

namespace sensix::testing {

std::string model_file(std::string_view relative) {
  return model_repo_dir() + "/" + std::string(relative);
}

std::string sample_file(std::string_view relative) {
  return samples_dir() + "/" + std::string(relative);
}

std::string write_temp_file(std::string_view name, std::string_view bytes) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sensix-engines-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / std::string(name);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

std::string truncated_copy(const std::string& source, std::string_view name, size_t count) {
  std::ifstream in(source, std::ios::binary);
  std::string bytes(count, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(count));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return write_temp_file(name, bytes);
}

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
