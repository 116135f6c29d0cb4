#include "model/safetensors.h"

#include <array>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "infermeter/core/error.h"

namespace infermeter::engines::reference {
namespace {

[[noreturn]] void Fail(const std::filesystem::path& path, std::string_view tensor,
                       const std::string& problem) {
  throw InputError({.source = path.string(), .field = std::string(tensor)}, problem);
}

// Headers above this are not a safetensors file (the format itself caps them at 100 MB).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

}  // namespace

std::int64_t SafetensorsDtypeBytes(std::string_view dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "BF16" || dtype == "F16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2") {
    return 1;
  }
  return 0;
}

SafetensorsReader::SafetensorsReader(std::filesystem::path path)
    : path_(std::move(path)), file_(path_, std::ios::binary) {
  if (!file_) Fail(path_, "", "cannot open the file");
  std::error_code ec;
  const auto file_bytes = static_cast<std::int64_t>(std::filesystem::file_size(path_, ec));
  if (ec) Fail(path_, "", "cannot read the file size: " + ec.message());
  std::array<unsigned char, 8> length_bytes{};
  if (file_bytes < 8 || !file_.read(reinterpret_cast<char*>(length_bytes.data()), 8)) {
    Fail(path_, "", fmt::format("{} bytes is too short for a safetensors header", file_bytes));
  }
  std::uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = header_bytes << 8 | length_bytes[i];
  if (header_bytes > kMaxHeaderBytes || static_cast<std::int64_t>(header_bytes) > file_bytes - 8) {
    Fail(path_, "",
         fmt::format("header length {} runs past the end of the {}-byte file (truncated?)",
                     header_bytes, file_bytes));
  }
  std::string header(header_bytes, '\0');
  if (!file_.read(header.data(), static_cast<std::streamsize>(header_bytes))) {
    Fail(path_, "", "cannot read the header");
  }
  data_start_ = 8 + static_cast<std::int64_t>(header_bytes);
  const std::int64_t data_bytes = file_bytes - data_start_;

  nlohmann::json json;
  try {
    json = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    Fail(path_, "", fmt::format("the header is not JSON: {}", e.what()));
  }
  if (!json.is_object()) Fail(path_, "", "the header is not a JSON object");
  for (const auto& [name, entry] : json.items()) {
    if (name == "__metadata__") continue;
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      Fail(path_, name, "expected an object with dtype, shape and data_offsets");
    }
    SafetensorsTensor t;
    const auto& dtype = entry["dtype"];
    const auto& shape = entry["shape"];
    const auto& offsets = entry["data_offsets"];
    if (!dtype.is_string()) Fail(path_, name, "dtype is not a string");
    t.dtype = dtype.get<std::string>();
    if (!shape.is_array()) Fail(path_, name, "shape is not an array");
    std::int64_t elements = 1;
    for (const auto& dim : shape) {
      if (!dim.is_number_integer() || dim.get<std::int64_t>() < 0) {
        Fail(path_, name, "shape holds something other than non-negative integers");
      }
      t.shape.push_back(dim.get<std::int64_t>());
      elements *= t.shape.back();
    }
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_integer() ||
        !offsets[1].is_number_integer()) {
      Fail(path_, name, "data_offsets is not a pair of integers");
    }
    t.begin = offsets[0].get<std::int64_t>();
    t.end = offsets[1].get<std::int64_t>();
    if (t.begin < 0 || t.end < t.begin) {
      Fail(path_, name, fmt::format("bad data_offsets [{}, {})", t.begin, t.end));
    }
    if (t.end > data_bytes) {
      Fail(path_, name,
           fmt::format("data_offsets [{}, {}) run past the end of the data ({} bytes): the file "
                       "is truncated",
                       t.begin, t.end, data_bytes));
    }
    const std::int64_t element_bytes = SafetensorsDtypeBytes(t.dtype);
    if (element_bytes > 0 && elements * element_bytes != t.end - t.begin) {
      Fail(path_, name,
           fmt::format("{} {} elements of shape [{}] need {} bytes, data_offsets give {}", elements,
                       t.dtype, fmt::join(t.shape, ", "), elements * element_bytes,
                       t.end - t.begin));
    }
    tensors_.emplace(name, std::move(t));
  }
}

const SafetensorsTensor* SafetensorsReader::Find(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

void SafetensorsReader::Read(std::string_view name, const SafetensorsTensor& tensor, void* out) {
  file_.clear();
  file_.seekg(data_start_ + tensor.begin);
  if (!file_.read(static_cast<char*>(out), tensor.end - tensor.begin)) {
    Fail(path_, name, "cannot read the tensor's data (truncated file?)");
  }
}

void WriteSafetensorsFile(const std::filesystem::path& path,
                          const std::vector<SafetensorsWriteEntry>& entries) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", "pt"}, {"writer", "infermeter"}};
  std::int64_t offset = 0;
  for (const auto& e : entries) {
    std::int64_t bytes = 0;
    for (const std::int64_t b : e.part_bytes) bytes += b;
    header[e.name] = {
        {"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  // The data section starts 8-byte aligned, as the reference writer does.
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(fmt::format("{}: cannot open for writing", path.string()));
  std::array<char, 8> length{};
  std::uint64_t n = text.size();
  for (char& byte : length) {
    byte = static_cast<char>(n & 0xff);
    n >>= 8;
  }
  out.write(length.data(), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& e : entries) {
    for (std::size_t i = 0; i < e.parts.size(); ++i) {
      out.write(static_cast<const char*>(e.parts[i]), e.part_bytes[i]);
    }
  }
  out.flush();
  if (!out) throw Error(fmt::format("{}: write failed", path.string()));
}

}  // namespace infermeter::engines::reference
