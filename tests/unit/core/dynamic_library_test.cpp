#include "infermeter/core/dynamic_library.h"

#include <gtest/gtest.h>

namespace infermeter {
namespace {

TEST(DynamicLibrary, LoadsALibraryAndFindsASymbol) {
  std::string error;
  // libm is on every glibc system; its soname is stable.
  const DynamicLibrary lib = DynamicLibrary::Open("libm.so.6", &error);
  ASSERT_TRUE(lib.loaded()) << error;
  auto cos_fn = lib.Function<double (*)(double)>("cos", &error);
  ASSERT_NE(cos_fn, nullptr) << error;
  EXPECT_DOUBLE_EQ(cos_fn(0.0), 1.0);
}

TEST(DynamicLibrary, MissingLibraryIsAnEmptyHandleWithAReason) {
  std::string error;
  // What happens on a machine without an NVIDIA driver.
  const DynamicLibrary lib = DynamicLibrary::Open("libinfermeter-no-such-library.so.1", &error);
  EXPECT_FALSE(lib.loaded());
  EXPECT_NE(error.find("libinfermeter-no-such-library.so.1"), std::string::npos) << error;
  EXPECT_EQ(lib.Symbol("anything", &error), nullptr);
  EXPECT_NE(error.find("not loaded"), std::string::npos);
}

TEST(DynamicLibrary, MissingSymbolIsNullWithAReason) {
  std::string error;
  const DynamicLibrary lib = DynamicLibrary::Open("libm.so.6", &error);
  ASSERT_TRUE(lib.loaded());
  EXPECT_EQ(lib.Symbol("infermeter_no_such_symbol", &error), nullptr);
  EXPECT_NE(error.find("infermeter_no_such_symbol"), std::string::npos) << error;
}

}  // namespace
}  // namespace infermeter
