# `infermeter report`: the chart renderer (PNG/SVG through cairo), its axis ticks, and the
# documents (HTML, Markdown, hardware facts).
infermeter_add_test(report_test
  SOURCES
    report/axis_ticks_test.cpp
    report/chart_image_test.cpp
    report/report_documents_test.cpp
  LINK infermeter::report PkgConfig::CAIRO
  LABELS unit)
target_include_directories(report_test PRIVATE ${PROJECT_SOURCE_DIR}/report/src)
