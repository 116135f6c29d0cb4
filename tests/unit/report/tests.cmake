# `infermeter report`: the chart renderer (PNG/SVG through cairo) and its axis ticks.
infermeter_add_test(report_test
  SOURCES
    report/axis_ticks_test.cpp
    report/chart_image_test.cpp
  LINK infermeter::report PkgConfig::CAIRO
  LABELS unit)
target_include_directories(report_test PRIVATE ${PROJECT_SOURCE_DIR}/report/src)
