# Server metrics: the Prometheus text parser on every body of tests/data/server-metrics (see its
# README for where each layout comes from) and on broken ones, server detection, the mapping to
# normalized figures and the sample rows.
infermeter_add_test(collectors_server_test
  SOURCES
    collectors/prometheus_text_test.cpp
    collectors/server_metrics_test.cpp
  LINK infermeter::collectors nlohmann_json::nlohmann_json
  LABELS unit)
# The server-metrics collector over real HTTP: `python3 -m http.server` serving the fixtures above
# (and llama.cpp's /slots), a server that goes away, refuses or hangs (an in-process socket).
infermeter_add_test(collectors_server_scrape_test
  SOURCES
    collectors/server_metrics_collector_test.cpp
  LINK infermeter::collectors
  LABELS unit
  TIMEOUT 120)
