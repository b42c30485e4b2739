"""View → text size and high contrast: for older eyes, and for a laptop used in the sun.

The text size is the application font's point size, so every list, form and dialog follows it;
the few widgets that scale text themselves (form headings) register a factor with
`set_font_scale`, and table rows (whose height Qt does not derive from the font) are sized
from it by an application event filter. High contrast is a palette (black on white) plus a
style sheet that draws strong outlines around fields and buttons. Text that the code colours
for a meaning (hints, errors, warnings, deleted records) takes its colour from `colour(role)`
or `set_text_role`, so each mode has its own colours and high contrast keeps them at ≥ 7:1.

Both choices are remembered in the settings ("view.text_size", "view.high_contrast"). When the
user has not chosen, high contrast follows the system's contrast preference where Qt reports
it (Qt ≥ 6.10: QStyleHints.accessibility().contrastPreference()).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QScreen,
)
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStatusBar,
    QStyle,
    QTableView,
    QWidget,
)

from desktop_app.core.i18n import _
from desktop_app.core.settings import Settings

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

# The sizes the View menu steps through, in points. 10 pt is Qt's usual default; 18 pt is the
# largest at which the main window still fits a 1366×768 screen without clipping
# (tests/ui/test_appearance.py checks every step).
TEXT_SIZES = (10, 11, 12, 13, 14, 16, 18)
# The first start's size. On the 96-dpi 1366×768 laptops the teams use, 12 pt is 16 pixels:
# the smallest size at which dense characters (鑫, 疆, 壤) keep their strokes apart in Noto Sans
# SC, and what people over fifty read without leaning in. Qt's 10 pt (13 px) was too small.
# A screen under 720 logical pixels high (netbooks, 125 % scaling) gets 11 pt, so that a form
# still shows its title, first fields and buttons at once.
DEFAULT_TEXT_SIZE = 12
SMALL_SCREEN_TEXT_SIZE = 11
SMALL_SCREEN_HEIGHT = 720
SEARCH_MAX_WIDTH = 320  # the main window's own limit at the usual sizes
SIDEBAR_MAX_WIDTH = 180  # the main window's own limit at the usual sizes
ROW_PADDING = 6  # pixels above and below a table row's text, together
MIN_ROW_HEIGHT = 26  # the rows' height at Qt's usual 10 pt, kept at the smaller sizes

TEXT_SIZE_KEY = "view.text_size"
HIGH_CONTRAST_KEY = "view.high_contrast"
AUTO, ON, OFF = "auto", "on", "off"

ROLE_PROPERTY = "jiangxinTextRole"
SCALE_PROPERTY = "jiangxinFontScale"


@dataclass(frozen=True)
class Colours:
    """The colours of text that carries a meaning, on the window's background."""

    hint: str  # secondary text: revision line, photo hints, explanations
    error: str  # a field's validation message
    warning: str  # the status bar's "waiting for…"
    deleted: str  # a deleted record's name where it is still referred to
    alert: str  # a dialog's failure line (handouts, returned sheets)
    empty: str  # the empty pane's invitation
    missing: str  # a photo without a caption


NORMAL = Colours(
    hint="#666666",
    error="#c62828",
    warning="#8a4b00",
    deleted="#777777",
    alert="#a01c16",
    empty="#777777",
    missing="#888888",
)
# Each at least 7:1 on white and on the alternate row colour (WCAG AAA); no grey on grey.
HIGH_CONTRAST = Colours(
    hint="#222222",
    error="#9e0000",
    warning="#5c3100",
    deleted="#4a4a4a",
    alert="#9e0000",
    empty="#000000",
    missing="#4a4a4a",
)

# High-contrast palette: (role, colour) for every colour group; disabled text stays ≥ 7:1.
HC_BACKGROUND = "#ffffff"
HC_ALTERNATE = "#ececec"
HC_HIGHLIGHT = "#00307a"
HC_PALETTE: dict[QPalette.ColorRole, str] = {
    QPalette.ColorRole.Window: HC_BACKGROUND,
    QPalette.ColorRole.WindowText: "#000000",
    QPalette.ColorRole.Base: HC_BACKGROUND,
    QPalette.ColorRole.AlternateBase: HC_ALTERNATE,
    QPalette.ColorRole.Text: "#000000",
    QPalette.ColorRole.Button: HC_BACKGROUND,
    QPalette.ColorRole.ButtonText: "#000000",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: HC_HIGHLIGHT,
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: HC_BACKGROUND,
    QPalette.ColorRole.ToolTipText: "#000000",
    QPalette.ColorRole.PlaceholderText: "#4a4a4a",
    QPalette.ColorRole.Link: "#0000b0",
    QPalette.ColorRole.LinkVisited: "#4b0082",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#d0d0d0",
    QPalette.ColorRole.Mid: "#000000",
    QPalette.ColorRole.Dark: "#000000",
    QPalette.ColorRole.Shadow: "#000000",
}
HC_DISABLED_TEXT = "#4f4f4f"

# Strong outlines: every field and button has a 2-pixel black border, the focused one a thicker
# blue one, so the eye finds them on a washed-out screen in daylight.
FIELDS = (
    "QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QSpinBox, QDoubleSpinBox, "
    "QDateEdit, QTimeEdit, QDateTimeEdit"
)
HC_STYLE_SHEET = f"""
{FIELDS} {{ border: 2px solid #000000; background: #ffffff; color: #000000; padding: 2px; }}
QPushButton, QToolButton {{
    border: 2px solid #000000; background: #ffffff; color: #000000; padding: 3px 8px;
    border-radius: 3px;
}}
QPushButton:hover, QToolButton:hover {{ background: #e6eeff; }}
QPushButton:pressed, QToolButton:pressed, QToolButton:checked {{ background: #c8d6f5; }}
QPushButton:default {{ border-width: 3px; }}
QPushButton:disabled, QToolButton:disabled {{ color: {HC_DISABLED_TEXT}; border-style: dashed; }}
QLineEdit:focus, QTextEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QSpinBox:focus,
QDateEdit:focus, QDateTimeEdit:focus, QPushButton:focus, QToolButton:focus,
QAbstractItemView:focus {{ border: 3px solid {HC_HIGHLIGHT}; }}
QAbstractItemView {{
    border: 2px solid #000000; gridline-color: #000000;
    selection-background-color: {HC_HIGHLIGHT}; selection-color: #ffffff;
}}
QGroupBox {{ border: 2px solid #000000; margin-top: 1.4em; padding-top: 4px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QHeaderView::section {{
    background: #ffffff; color: #000000; border: 1px solid #000000; padding: 2px 4px;
    font-weight: bold;
}}
QToolBar {{ border-bottom: 2px solid #000000; }}
QMenuBar {{ border-bottom: 1px solid #000000; }}
QMenu {{ border: 2px solid #000000; }}
QStatusBar {{ border-top: 2px solid #000000; }}
QToolTip {{ border: 2px solid #000000; background: #ffffff; color: #000000; }}
QCheckBox::indicator, QRadioButton::indicator {{ border: 2px solid #000000; width: 14px;
    height: 14px; background: #ffffff; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: #000000; }}
"""


def relative_luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def high_contrast_palette() -> QPalette:
    palette = QPalette()
    for role, colour in HC_PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(HC_DISABLED_TEXT))
    return palette


# --- what is in force -----------------------------------------------------------------------


class _Notifier(QObject):
    changed = Signal()


class _State:
    """The application's current appearance (one per process, like the application)."""

    def __init__(self) -> None:
        self.notifier: _Notifier | None = None
        self.text_size = 0  # 0: never applied; the app's font is untouched
        self.high_contrast = False
        self.normal_palette: QPalette | None = None
        self.filter: _RowHeights | None = None


_state = _State()


def notifier() -> _Notifier:
    """Emits `changed` after a text size or contrast mode was put in force."""
    if _state.notifier is None:
        _state.notifier = _Notifier()
    return _state.notifier


def current_colours() -> Colours:
    return HIGH_CONTRAST if _state.high_contrast else NORMAL


def colour(role: str) -> QColor:
    """The colour of meaningful text `role` (a `Colours` field) in the mode in force."""
    return QColor(getattr(current_colours(), role))


def _role_style(role: str, extra: str) -> str:
    return f"color: {getattr(current_colours(), role)};{(' ' + extra) if extra else ''}"


def set_text_role(widget: QWidget, role: str, extra_style: str = "") -> None:
    """Colour `widget`'s text for `role` (hint, error…), now and when the mode changes."""
    widget.setProperty(ROLE_PROPERTY, f"{role}|{extra_style}")
    widget.setStyleSheet(_role_style(role, extra_style))


def set_font_scale(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    """Give `widget` a font `factor` times the text size (a heading), now and on changes."""
    widget.setProperty(SCALE_PROPERTY, f"{factor}|{int(bold)}")
    _apply_font_scale(widget)


def _apply_font_scale(widget: QWidget) -> None:
    factor_text, bold = str(widget.property(SCALE_PROPERTY)).split("|")
    base = QApplication.font()
    font = QFont(widget.font())
    font.setPointSizeF(base.pointSizeF() * float(factor_text))
    font.setBold(bold == "1")
    widget.setFont(font)


def row_height(metrics: QFontMetrics) -> int:
    """A table row that holds one line of text at the current size."""
    return max(MIN_ROW_HEIGHT, metrics.height() + ROW_PADDING)


class _RowHeights(QObject):
    """Table rows (and the status bar) follow the text size: Qt sizes rows from the style, not
    from the font."""

    WATCHED = (QEvent.Type.Polish, QEvent.Type.FontChange)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Every event of the application passes here: only two kinds are looked at further.
        kind = event.type()
        if kind not in self.WATCHED:
            return False
        if kind == QEvent.Type.FontChange and isinstance(watched, QWidget):
            parent = watched.parentWidget()
            if isinstance(parent, QStatusBar):
                # A status bar takes its height from its labels only when it lays out, and a
                # label's new font may come after the bar's own: ask it again.
                QApplication.postEvent(parent, QEvent(QEvent.Type.LayoutRequest))
        if isinstance(watched, QTableView):
            rows = watched.verticalHeader()
            height = row_height(watched.fontMetrics())
            if rows.defaultSectionSize() != height:
                rows.setDefaultSectionSize(height)
            # Column titles stay readable: a column the user can resize is made at least as
            # wide as its title (its cells may still end in "…" and be widened by hand).
            _fit_column_titles(watched.horizontalHeader())
        return False


def _fit_column_titles(columns: QHeaderView) -> None:
    model = columns.model()
    if model is None:
        return
    style = columns.style()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, columns)
    # Room for the sort arrow in every column: any of them may become the sorted one.
    arrow = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, columns) + margin
    metrics = QFontMetrics(QApplication.font(columns))
    for section in range(columns.count()):
        if columns.sectionResizeMode(
            section
        ) != QHeaderView.ResizeMode.Interactive or columns.isSectionHidden(section):
            continue
        title = str(model.headerData(section, Qt.Orientation.Horizontal) or "")
        needed = metrics.horizontalAdvance(title) + 2 * margin + arrow
        if columns.sectionSize(section) < needed:
            columns.resizeSection(section, needed)


def default_text_size(screen: QScreen | None) -> int:
    """The first start's text size for `screen` (see DEFAULT_TEXT_SIZE)."""
    if screen is not None and screen.availableGeometry().height() < SMALL_SCREEN_HEIGHT:
        return SMALL_SCREEN_TEXT_SIZE
    return DEFAULT_TEXT_SIZE


def saved_text_size(settings: Settings) -> int:
    """The remembered size, or the first start's one (nearest step of the menu)."""
    size = settings.get(TEXT_SIZE_KEY)
    if size <= 0:
        size = default_text_size(QGuiApplication.primaryScreen())
    return min(TEXT_SIZES, key=lambda step: abs(step - size))


def system_prefers_high_contrast() -> bool:
    """What the desktop asks for, where Qt reports it (Qt 6.10+); False otherwise."""
    hints = QGuiApplication.styleHints()
    accessibility = getattr(hints, "accessibility", None)
    if accessibility is None:
        return False
    preference = accessibility().contrastPreference()
    return bool(preference == Qt.ContrastPreference.HighContrast)


def saved_high_contrast(settings: Settings) -> bool:
    choice = settings.get(HIGH_CONTRAST_KEY)
    if choice == ON:
        return True
    if choice == OFF:
        return False
    return system_prefers_high_contrast()


def apply(text_size: int, high_contrast: bool) -> None:
    """Put a text size and contrast mode in force for the whole application."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if _state.filter is None:
        _state.filter = _RowHeights(app)
        app.installEventFilter(_state.filter)
        _state.normal_palette = QPalette(app.palette())
    contrast_changed = high_contrast != _state.high_contrast
    size_changed = text_size != _state.text_size
    if not (contrast_changed or size_changed):
        return
    was_high_contrast = _state.high_contrast
    _state.text_size, _state.high_contrast = text_size, high_contrast
    # Qt does not carry a new application font or palette to widgets a style sheet styles:
    # the sheets are taken off while they change and put back after, which styles them anew.
    if was_high_contrast:
        app.setStyleSheet("")
    app.setPalette(
        high_contrast_palette() if high_contrast else (_state.normal_palette or QPalette())
    )
    font = QFont(app.font())
    font.setPointSize(text_size)
    app.setFont(font)
    if high_contrast:
        app.setStyleSheet(HC_STYLE_SHEET)
    for widget in QApplication.allWidgets():
        role = widget.property(ROLE_PROPERTY)
        if role:
            name, extra = str(role).split("|", 1)
            widget.setStyleSheet(_role_style(name, extra))
        elif widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())
        if widget.property(SCALE_PROPERTY):
            _apply_font_scale(widget)
        if isinstance(widget, QTableView):
            widget.viewport().update()  # item colours come from `colour()` at paint time
    notifier().changed.emit()


def apply_saved(settings: Settings) -> None:
    """At start-up, before the window is built: the remembered (or first start's) choices."""
    apply(saved_text_size(settings), saved_high_contrast(settings))
    hints = QGuiApplication.styleHints()
    accessibility = getattr(hints, "accessibility", None)
    if accessibility is not None:
        accessibility().contrastPreferenceChanged.connect(
            lambda _preference: _follow_system(settings)
        )


def _follow_system(settings: Settings) -> None:
    if settings.get(HIGH_CONTRAST_KEY) == AUTO:
        apply(_state.text_size or saved_text_size(settings), system_prefers_high_contrast())


def text_size() -> int:
    """The size in force (the application font's when none was applied)."""
    return _state.text_size or round(QApplication.font().pointSizeF())


def high_contrast() -> bool:
    return _state.high_contrast


def step_text_size(size: int, steps: int) -> int:
    """The size `steps` menu steps up (or down) from `size`, within the menu's sizes."""
    if steps > 0:
        bigger = [step for step in TEXT_SIZES if step > size]
        return bigger[min(steps, len(bigger)) - 1] if bigger else TEXT_SIZES[-1]
    if steps < 0:
        smaller = [step for step in TEXT_SIZES if step < size]
        return smaller[-min(-steps, len(smaller))] if smaller else TEXT_SIZES[0]
    return min(TEXT_SIZES, key=lambda step: abs(step - size))


# --- the View menu --------------------------------------------------------------------------


def _unique(own: list[str], platform: list[QKeySequence]) -> list[QKeySequence]:
    """`own` key sequences, then the platform's that differ (the same key twice is ambiguous)."""
    keys = [QKeySequence(k) for k in own]
    for key in platform:
        if all(key != k for k in keys):
            keys.append(key)
    return keys


class ViewActions(QObject):
    """The View menu's entries, kept on the window as `window.view_actions`."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.settings = ctx.settings
        menu = ctx.menus["view"]
        self.larger = QAction(_("Larger text"), self.window)
        # Ctrl+= is Ctrl++ without Shift on most keyboards; the platform's zoom keys too.
        self.larger.setShortcuts(
            _unique(["Ctrl+=", "Ctrl++"], QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn))
        )
        self.smaller = QAction(_("Smaller text"), self.window)
        self.smaller.setShortcuts(
            _unique(["Ctrl+-"], QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomOut))
        )
        self.reset = QAction(_("Default text size"), self.window)
        self.reset.setShortcut(QKeySequence("Ctrl+0"))
        self.contrast = QAction(_("High contrast"), self.window)
        self.contrast.setCheckable(True)
        self.contrast.setToolTip(_("Black on white with strong outlines, for bright daylight"))
        self.larger.triggered.connect(lambda _checked=False: self.change_size(+1))
        self.smaller.triggered.connect(lambda _checked=False: self.change_size(-1))
        self.reset.triggered.connect(lambda _checked=False: self.reset_size())
        self.contrast.toggled.connect(self.set_high_contrast)
        for action in (self.larger, self.smaller, self.reset):
            menu.addAction(action)
            ctx.add_shortcut(action)  # works while the menu is closed and fields have focus
        menu.addSeparator()
        menu.addAction(self.contrast)
        ctx.add_shortcut(self.contrast)
        notifier().changed.connect(self.update)
        self.update()
        # Again once the window is up: it has put back the user's own column widths by then.
        ctx.after_first_paint(self.update)

    def update(self) -> None:
        self.fit_sidebar()
        self.fit_search_box()
        for table in self.ctx.tables.values():
            _fit_column_titles(table.horizontalHeader())
        size = text_size()
        self.larger.setEnabled(size < TEXT_SIZES[-1])
        self.smaller.setEnabled(size > TEXT_SIZES[0])
        self.contrast.blockSignals(True)
        self.contrast.setChecked(high_contrast())
        self.contrast.blockSignals(False)

    def fit_sidebar(self) -> None:
        """The section names are read whole at every size: the sidebar is as wide as they are."""
        sidebar = self.ctx.sidebar
        metrics = QFontMetrics(QApplication.font(sidebar))  # its own may not have changed yet
        widest = max(
            (metrics.horizontalAdvance(sidebar.item(i).text()) for i in range(sidebar.count())),
            default=0,
        )
        # The item's padding on both sides, the frame, and room for a vertical scroll bar.
        needed = widest + 2 * metrics.averageCharWidth() + 2 * sidebar.frameWidth() + 8
        sidebar.setMinimumWidth(needed)
        sidebar.setMaximumWidth(max(SIDEBAR_MAX_WIDTH, needed))

    def fit_search_box(self) -> None:
        """The search box's hint is read whole: it widens with the text (up to a third)."""
        box = self.ctx.search_box
        metrics = QFontMetrics(QApplication.font(box))
        # The hint, the clear button (as wide as the box is high) and the frame's padding.
        needed = metrics.horizontalAdvance(box.placeholderText()) + box.sizeHint().height() + 24
        box.setMaximumWidth(max(SEARCH_MAX_WIDTH, min(needed, self.window.width() // 3)))
        box.setMinimumWidth(min(needed, self.window.width() // 3))

    def change_size(self, steps: int) -> None:
        size = step_text_size(text_size(), steps)
        self.settings.set(TEXT_SIZE_KEY, size)
        apply(size, high_contrast())

    def reset_size(self) -> None:
        size = default_text_size(self.window.screen())
        self.settings.set(TEXT_SIZE_KEY, 0)  # follows the first-start choice again
        apply(size, high_contrast())

    def set_high_contrast(self, on: bool) -> None:
        # The same as the system asks for: keep following the system when it changes.
        choice = AUTO if on == system_prefers_high_contrast() else (ON if on else OFF)
        self.settings.set(HIGH_CONTRAST_KEY, choice)
        apply(text_size(), on)


def install(ctx: WindowContext) -> ViewActions:
    return ViewActions(ctx)
