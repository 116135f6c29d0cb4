#pragma once
// Dark and light: by default the app follows the system (the platform's palette, as Qt 6.4 has
// no colour-scheme hint yet); `--theme dark|light` forces one. Charts take the matching Qt Charts
// theme so axes, grid and legend stay readable on either.

#include <QChart>
#include <QString>

class QApplication;

namespace infermeter::dashboard_app {

enum class Theme { kLight, kDark };

// "system", "light" or "dark" (anything else: nullopt-like failure reported by the caller).
bool ParseThemeName(const QString& name, Theme system, Theme* out);
// Dark when the platform's window colour is darker than its text colour.
Theme SystemTheme();
// Sets the palette (Fusion style for a forced dark or light theme) and remembers the theme.
void ApplyTheme(QApplication& app, Theme theme);
Theme CurrentTheme();
QChart::ChartTheme ChartTheme();

}  // namespace infermeter::dashboard_app
