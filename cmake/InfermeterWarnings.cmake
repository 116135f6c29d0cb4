# Per-target warnings; no global flags. INFERMETER_WERROR turns warnings into errors (CI sets it).
option(INFERMETER_WERROR "Treat compiler warnings as errors" OFF)

function(infermeter_set_warnings target)
  # Settings structs have a default for every member and are filled with designated
  # initializers naming only what differs (`{.flush_interval_ms = 5}`); GCC 12's
  # -Wmissing-field-initializers would flag exactly that idiom.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(INFERMETER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
