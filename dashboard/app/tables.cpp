#include "tables.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "infermeter/dashboard/figure_format.h"
#include "qt_text.h"

namespace infermeter::dashboard_app {
namespace {

TableCell Text(const QString& text) { return {.text = text, .value = text, .tooltip = {}}; }

TableCell Number(double value, const std::string& unit) {
  return {.text = QText(dashboard::FormatFigure(value, unit)),
          .value = value,
          .tooltip = QString::number(value, 'g', 17)};
}

QString JsonScalar(const QJsonValue& value) {
  if (value.isString()) return value.toString();
  if (value.isBool()) return value.toBool() ? "true" : "false";
  if (value.isDouble()) return QString::number(value.toDouble(), 'g', 15);
  if (value.isNull()) return "null";
  return {};
}

// Adds one row per leaf of `value` under `path`.
void Flatten(const QString& path, const QJsonValue& value, TableSnapshot& table) {
  if (value.isObject()) {
    const QJsonObject object = value.toObject();
    if (object.isEmpty()) table.rows.push_back({Text(path), Text("{}")});
    for (auto it = object.begin(); it != object.end(); ++it) {
      Flatten(path + "." + it.key(), it.value(), table);
    }
  } else if (value.isArray()) {
    const QJsonArray array = value.toArray();
    if (array.isEmpty()) table.rows.push_back({Text(path), Text("[]")});
    for (qsizetype i = 0; i < array.size(); ++i) {
      Flatten(QString("%1[%2]").arg(path).arg(i), array[i], table);
    }
  } else {
    table.rows.push_back({Text(path), Text(JsonScalar(value))});
  }
}

void FlattenJsonText(const QString& path, const std::string& json, TableSnapshot& table) {
  QJsonParseError error{};
  const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
  if (error.error != QJsonParseError::NoError) {
    table.rows.push_back({Text(path), Text(QText(json))});  // shown as stored
    return;
  }
  Flatten(path, document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array()),
          table);
}

}  // namespace

QString RunTitle(const results::RunRow& run) {
  return run.info.name.empty() ? QString("run %1").arg(run.id.value)
                               : QString("run %1 (%2)").arg(run.id.value).arg(QText(run.info.name));
}

TableSnapshot FiguresTable(const std::vector<results::RunMetric>& metrics) {
  TableSnapshot table{.headers = {"Figure", "Value", "Unit"}, .rows = {}};
  for (const results::RunMetric& m : metrics) {
    table.rows.push_back({Text(QText(m.name)), Number(m.value, m.unit), Text(QText(m.unit))});
  }
  return table;
}

TableSnapshot ErrorsTable(const std::map<std::string, std::int64_t>& errors_by_class,
                          std::int64_t requests) {
  TableSnapshot table{.headers = {"Error class", "Requests", "Share of requests"}, .rows = {}};
  for (const auto& [error_class, count] : errors_by_class) {
    const double share = requests > 0 ? static_cast<double>(count) / requests : 0;
    table.rows.push_back({Text(QText(error_class)),
                          {.text = QString::number(count),
                           .value = QVariant::fromValue<qlonglong>(count),
                           .tooltip = {}},
                          Number(share, "")});
  }
  return table;
}

TableSnapshot RunConfigTable(const results::RunRow& run) {
  TableSnapshot table{.headers = {"Field", "Value"}, .rows = {}};
  const auto add = [&table](const QString& field, const QString& value) {
    table.rows.push_back({Text(field), Text(value)});
  };
  add("id", QString::number(run.id.value));
  add("name", QText(run.info.name));
  add("status", QText(results::ToString(run.status)));
  add("validity", run.validity ? QText(results::ToString(*run.validity)) : "-");
  for (const std::string& reason : run.validity_reasons) add("validity reason", QText(reason));
  add("engine", QText(run.info.engine));
  add("model", QText(run.info.model));
  add("workload", QText(run.info.workload_name));
  add("workload hash", QText(run.info.workload_hash));
  for (const auto& [key, value] : run.info.labels) add("label." + QText(key), QText(value));
  add("infermeter version", QText(run.infermeter_version));
  add("git revision", QText(run.git_revision));
  add("requests", QString::number(run.request_count));
  FlattenJsonText("hardware", run.info.hardware_json, table);
  FlattenJsonText("config", run.info.config_json, table);
  FlattenJsonText("collectors", run.collectors_json, table);
  return table;
}

TableSnapshot ComparisonTable(const dashboard::Comparison& comparison,
                              const std::vector<dashboard::CatalogRun>& runs) {
  TableSnapshot table{.headers = {"Figure", "Unit"}, .rows = {}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const QString title = RunTitle(runs[i].run);
    table.headers << title;
    table.headers << (i == comparison.baseline ? "baseline" : "× baseline");
  }
  for (const dashboard::ComparedFigure& figure : comparison.figures) {
    std::vector<TableCell> row{{.text = QText(figure.label),
                                .value = QText(figure.label),
                                .tooltip = QString("run_metrics: %1; %2 is better")
                                               .arg(QText(figure.metric))
                                               .arg(figure.higher_is_better ? "higher" : "lower")},
                               Text(QText(figure.unit))};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const bool has_value = i < figure.values.size() && figure.values[i].has_value();
      row.push_back(has_value ? Number(figure.values[i].value(), figure.unit) : Text("–"));
      if (i < figure.ratios.size() && figure.ratios[i].has_value()) {
        const double ratio = figure.ratios[i].value();
        row.push_back(
            {.text = QString("%1×").arg(ratio, 0, 'f', 3), .value = ratio, .tooltip = {}});
      } else {
        row.push_back(Text("–"));
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace infermeter::dashboard_app
