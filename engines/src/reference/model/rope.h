#pragma once
// Rotary position embedding. The cos/sin of every (position, frequency) a step needs are
// computed once per step (RopeTable) instead of once per head and row.

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

namespace infermeter::engines::reference {

enum class RopeStyle : std::uint8_t {
  kInterleaved,  // pairs (2i, 2i+1): DeepSeek's view_as_complex form (MLA, V4)
  kHalf,         // pairs (i, i + dims/2): Hugging Face rotate_half (Llama, V3.2's indexer)
};

// Rotates `dims` values at `position` by position * theta^(-2i/dims) (backwards if inverse).
void RotateAt(float* x, std::int64_t dims, std::int64_t position, double theta, RopeStyle style,
              bool inverse = false);

// cos/sin for a list of positions (the step's rows) at one (dims, theta).
class RopeTable {
 public:
  void Build(std::span<const std::int64_t> positions, std::int64_t dims, double theta);
  // Rotates x (dims values) at the position of row `row`.
  void Rotate(float* x, std::int64_t row, RopeStyle style, bool inverse = false) const;
  std::int64_t dims() const { return dims_; }

 private:
  std::int64_t dims_ = 0;
  std::vector<float> cos_sin_;  // per row: dims/2 cos, then dims/2 sin
};

// The tables of one step, built on first use for each (dims, theta). Get() must be called on
// the step thread (outside parallel regions); the table it returns may be read from any thread.
class RopeTables {
 public:
  void Reset(std::span<const std::int64_t> positions);
  const RopeTable& Get(std::int64_t dims, double theta);

 private:
  std::span<const std::int64_t> positions_;
  std::map<std::pair<std::int64_t, double>, RopeTable> tables_;
  std::map<std::pair<std::int64_t, double>, bool> fresh_;
};

}  // namespace infermeter::engines::reference
