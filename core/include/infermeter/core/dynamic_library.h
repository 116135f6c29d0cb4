#pragma once
// RAII owner of a dlopen handle. This is how code that needs CUDA, CUPTI, NVML or an NPU
// driver gets into the process: as a module loaded at run time, so the `infermeter` binary
// itself links no vendor library and runs on machines without one.

#include <memory>
#include <string>

namespace infermeter {

class DynamicLibrary {
 public:
  // Loads `path_or_soname` (RTLD_NOW | RTLD_LOCAL). Returns an empty library and fills
  // `*error` with dlerror()'s text when it cannot be loaded; never throws for a missing library,
  // because a missing GPU driver is a normal condition, not an error.
  static DynamicLibrary Open(const std::string& path_or_soname, std::string* error);

  DynamicLibrary() = default;
  DynamicLibrary(DynamicLibrary&&) noexcept = default;
  DynamicLibrary& operator=(DynamicLibrary&&) noexcept = default;

  bool loaded() const { return handle_ != nullptr; }
  const std::string& name() const { return name_; }

  // Address of `symbol`, or nullptr (with `*error` filled when given) if the library does not
  // export it.
  void* Symbol(const char* symbol, std::string* error = nullptr) const;

  // Typed lookup: `auto fn = lib.Function<int (*)(unsigned)>("nvmlInit_v2");`
  template <typename Fn>
  Fn Function(const char* symbol, std::string* error = nullptr) const {
    return reinterpret_cast<Fn>(Symbol(symbol, error));
  }

 private:
  struct Closer {
    void operator()(void* handle) const noexcept;
  };
  std::unique_ptr<void, Closer> handle_;
  std::string name_;
};

}  // namespace infermeter
