#include "theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace infermeter::dashboard_app {
namespace {

Theme g_theme = Theme::kLight;

QPalette DarkPalette() {
  QPalette p;
  const QColor window(37, 37, 38), base(30, 30, 30), text(220, 220, 220), accent(64, 128, 214);
  p.setColor(QPalette::Window, window);
  p.setColor(QPalette::WindowText, text);
  p.setColor(QPalette::Base, base);
  p.setColor(QPalette::AlternateBase, window);
  p.setColor(QPalette::ToolTipBase, window);
  p.setColor(QPalette::ToolTipText, text);
  p.setColor(QPalette::Text, text);
  p.setColor(QPalette::Button, window);
  p.setColor(QPalette::ButtonText, text);
  p.setColor(QPalette::Highlight, accent);
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Link, accent.lighter(130));
  p.setColor(QPalette::PlaceholderText, text.darker(160));
  p.setColor(QPalette::Disabled, QPalette::Text, text.darker(180));
  p.setColor(QPalette::Disabled, QPalette::ButtonText, text.darker(180));
  return p;
}

}  // namespace

bool ParseThemeName(const QString& name, Theme system, Theme* out) {
  if (name == "system") {
    *out = system;
  } else if (name == "light") {
    *out = Theme::kLight;
  } else if (name == "dark") {
    *out = Theme::kDark;
  } else {
    return false;
  }
  return true;
}

Theme SystemTheme() {
  const QPalette palette = QApplication::palette();
  return palette.color(QPalette::Window).lightness() <
                 palette.color(QPalette::WindowText).lightness()
             ? Theme::kDark
             : Theme::kLight;
}

void ApplyTheme(QApplication& app, Theme theme) {
  g_theme = theme;
  if (theme == SystemTheme()) return;  // the platform already draws it
  QApplication::setStyle(QStyleFactory::create("Fusion"));
  app.setPalette(theme == Theme::kDark ? DarkPalette() : QApplication::style()->standardPalette());
}

Theme CurrentTheme() { return g_theme; }

QChart::ChartTheme ChartTheme() {
  return g_theme == Theme::kDark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
}

}  // namespace infermeter::dashboard_app
