# Helpers that give every target of ours the same shape:
#   infermeter_add_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#       -> STATIC library `infermeter_<name>`, alias `infermeter::<name>`,
#          public headers in <folder>/include, private ones in <folder>/src.
#   infermeter_add_test(<name> SOURCES ... LINK ... LABELS ...)
#       -> GoogleTest executable registered with CTest under the given labels.
# Sources are always listed explicitly (no file(GLOB)).
include(InfermeterWarnings)

set_property(GLOBAL PROPERTY INFERMETER_LIBRARIES "")

# Everything `ctest -L unit` runs, and nothing else: the sanitizer preset builds only this.
# Tests add themselves (infermeter_add_test with LABELS unit); script tests that need a built
# target add it by hand.
add_custom_target(unit_tests)

function(infermeter_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target infermeter_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(infermeter::${name} ALIAS ${target})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  infermeter_set_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY INFERMETER_LIBRARIES ${target})
endfunction()

function(infermeter_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} GTest::gtest GTest::gtest_main)
  infermeter_set_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if("unit" IN_LIST ARG_LABELS)
    add_dependencies(unit_tests ${name})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "INFERMETER_SHARED_DIR=${INFERMETER_SHARED_DIR};INFERMETER_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# Writes the link graph of every infermeter library and executable to
# ${CMAKE_BINARY_DIR}/infermeter_link_graph.txt ("target: dep dep ..."), which the
# architecture test checks against docs/ARCHITECTURE.md.
function(infermeter_write_link_graph)
  get_property(targets GLOBAL PROPERTY INFERMETER_LIBRARIES)
  list(APPEND targets ${ARGN})
  set(content "")
  foreach(t IN LISTS targets)
    get_target_property(deps ${t} LINK_LIBRARIES)
    if(NOT deps)
      set(deps "")
    endif()
    string(REPLACE ";" " " deps_text "${deps}")
    string(APPEND content "${t}: ${deps_text}\n")
  endforeach()
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/infermeter_link_graph.txt CONTENT "${content}")
endfunction()
