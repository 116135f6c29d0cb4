# `infermeter report`: the chart renderer (PNG/SVG through cairo), its axis ticks, and the
# documents (HTML, Markdown, hardware facts).
# fontconfig: the tests release its caches at exit (release_font_caches.cpp).
pkg_check_modules(FONTCONFIG REQUIRED IMPORTED_TARGET fontconfig)
infermeter_add_test(report_test
  SOURCES
    report/axis_ticks_test.cpp
    report/chart_image_test.cpp
    report/report_documents_test.cpp
    report/release_font_caches.cpp
  LINK infermeter::report PkgConfig::CAIRO PkgConfig::FONTCONFIG
  LABELS unit)
target_include_directories(report_test PRIVATE ${PROJECT_SOURCE_DIR}/report/src)
