#pragma once
// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets":
// [begin, end)}, optional "__metadata__"}, then the data; offsets count from the data's start.
// Only what the model needs: reading named tensors of one file, writing one file.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace infermeter::engines::reference {

struct SafetensorsTensor {
  std::string dtype;  // "BF16", "F32", "I32", ...
  std::vector<std::int64_t> shape;
  std::int64_t begin = 0;  // byte offsets inside the data section
  std::int64_t end = 0;
};

// Bytes per element of a safetensors dtype, 0 when unknown.
std::int64_t SafetensorsDtypeBytes(std::string_view dtype);

class SafetensorsReader {
 public:
  // Opens `path` and checks its header: throws infermeter::InputError naming the file (and the
  // tensor, where one is at fault) for a short file, a header that is not JSON, an entry
  // without dtype/shape/data_offsets, offsets past the end of the file (a truncated file) or
  // a byte count that does not match the shape and dtype.
  explicit SafetensorsReader(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  const SafetensorsTensor* Find(std::string_view name) const;
  // Copies the tensor's bytes (end - begin of them) to `out`.
  void Read(std::string_view name, const SafetensorsTensor& tensor, void* out);

 private:
  std::filesystem::path path_;
  std::ifstream file_;
  std::int64_t data_start_ = 0;
  std::map<std::string, SafetensorsTensor, std::less<>> tensors_;
};

struct SafetensorsWriteEntry {
  std::string name;
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::vector<const void*> parts;  // the data, concatenated in order
  std::vector<std::int64_t> part_bytes;
};

// Writes the entries, in order, to `path`. Throws infermeter::Error when it cannot.
void WriteSafetensorsFile(const std::filesystem::path& path,
                          const std::vector<SafetensorsWriteEntry>& entries);

}  // namespace infermeter::engines::reference
