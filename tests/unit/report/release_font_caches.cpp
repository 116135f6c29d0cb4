// cairo and fontconfig keep process-wide caches (fonts, glyphs, the fontconfig configuration) for
// the life of the process; LeakSanitizer would report them at exit. Releasing them after the
// last test, as cairo's own test suite does, keeps the sanitizer build meaningful: any leak left
// is ours.

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <gtest/gtest.h>

namespace {

class ReleaseFontCaches : public ::testing::Environment {
 public:
  void TearDown() override {
    cairo_debug_reset_static_data();  // drops cairo's font faces, which hold fontconfig patterns
    FcFini();
  }
};

// Registered before main() runs the tests; gtest owns and deletes it.
[[maybe_unused]] ::testing::Environment* const kReleaseFontCaches =
    ::testing::AddGlobalTestEnvironment(new ReleaseFontCaches);

}  // namespace
