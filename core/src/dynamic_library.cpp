#include "infermeter/core/dynamic_library.h"

#include <dlfcn.h>

namespace infermeter {

void DynamicLibrary::Closer::operator()(void* handle) const noexcept { dlclose(handle); }

DynamicLibrary DynamicLibrary::Open(const std::string& path_or_soname, std::string* error) {
  DynamicLibrary lib;
  lib.name_ = path_or_soname;
  dlerror();  // clear any stale error
  void* handle = dlopen(path_or_soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    if (error != nullptr) {
      const char* text = dlerror();
      *error = text != nullptr ? text : ("cannot load " + path_or_soname);
    }
    return lib;
  }
  lib.handle_.reset(handle);
  return lib;
}

void* DynamicLibrary::Symbol(const char* symbol, std::string* error) const {
  if (!handle_) {
    if (error != nullptr) *error = "library '" + name_ + "' is not loaded";
    return nullptr;
  }
  dlerror();
  void* address = dlsym(handle_.get(), symbol);
  if (address == nullptr && error != nullptr) {
    const char* text = dlerror();
    *error = text != nullptr ? text : (std::string("symbol '") + symbol + "' not found");
  }
  return address;
}

}  // namespace infermeter
