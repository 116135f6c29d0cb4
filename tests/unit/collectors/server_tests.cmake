# Server metrics: the Prometheus text parser on every body of tests/data/server-metrics (see its
# README for where each layout comes from) and on broken ones, server detection, the mapping to
# normalized figures and the sample rows.
infermeter_add_test(collectors_server_test
  SOURCES
    collectors/prometheus_text_test.cpp
    collectors/server_metrics_test.cpp
  LINK infermeter::collectors nlohmann_json::nlohmann_json
  LABELS unit)
