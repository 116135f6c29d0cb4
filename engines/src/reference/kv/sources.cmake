# Included from engines/CMakeLists.txt (paths relative to engines/).
infermeter_add_library(engines_kv
  SOURCES
    src/reference/kv/kv_layout.cpp
    src/reference/kv/block_pool.cpp
    src/reference/kv/kv_cache.cpp
    src/reference/scheduler.cpp
  DEPS
    infermeter::core
    infermeter::models
    infermeter::engines_kernels
  PRIVATE_DEPS
    fmt::fmt)
target_include_directories(infermeter_engines_kv PUBLIC src/reference)
