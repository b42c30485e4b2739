"""Reporting in the window: Tools ▸ Statistics… and Tools ▸ News draft…

Installed like the other feature modules (`install(ctx)`, see `extensions.WindowContext`), so
the main window itself is not edited. Statistics opens one window per main window (raised
again if open); the news draft needs a session selected in the sessions list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import listing

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext
    from desktop_app.ui.news_dialog import NewsDialog
    from desktop_app.ui.stats_window import StatsWindow


class ReportActions(QObject):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.stats_window: StatsWindow | None = None
        self.news_dialog: NewsDialog | None = None
        self.stats_action = QAction(_("Statistics…"), self.window)
        self.stats_action.setObjectName("report_stats")
        self.stats_action.setStatusTip(
            _("Sessions, hours, trainees and more for a period, by team, member or guide")
        )
        self.stats_action.triggered.connect(self.show_statistics)
        self.news_action = QAction(_("News draft for the selected session…"), self.window)
        self.news_action.setObjectName("report_news")
        self.news_action.triggered.connect(self.show_news)
        menu = ctx.menus["tools"]
        menu.addAction(self.stats_action)
        menu.addAction(self.news_action)

    def show_statistics(self) -> StatsWindow:
        from desktop_app.ui.stats_window import StatsWindow

        if self.stats_window is None:
            self.stats_window = StatsWindow(self.ctx)
        self.stats_window.show()
        if QGuiApplication.platformName() != "offscreen":  # offscreen warns it cannot raise
            self.stats_window.raise_()
            self.stats_window.activateWindow()
        return self.stats_window

    def show_news(self) -> NewsDialog | None:
        kind, ids = self.ctx.current_selection()
        if kind != "session" or not ids:
            QMessageBox.information(
                self.window, _("News draft"), _("Select a session in the sessions list first.")
            )
            return None
        from desktop_app.services.reports import news
        from desktop_app.ui.news_dialog import NewsDialog

        try:
            text = news.news_draft(self.ctx.library, ids[0])
        except UserError as exc:
            QMessageBox.warning(self.window, _("News draft"), str(exc))
            return None
        row = listing.fetch_rows(self.ctx.library, "session", ids[:1]).get(ids[0], {})
        day = str(row.get("starts_at") or "")[:10]
        name = "-".join(p for p in (day, str(row.get("venue") or ""), _("News draft")) if p)
        session_id = ids[0]
        photo_count = int(row.get("photos") or 0)

        def export_photos(folder: Path) -> None:
            library = self.ctx.library

            def op(progress: Progress) -> list[Path]:
                from desktop_app.services import photos  # heavy: not before the first paint

                return photos.export_session_photos(library, session_id, folder, progress=progress)

            def done(written: list[Path]) -> None:
                dialog.status.setText(
                    _("Exported {n} photos to {path}.").format(n=len(written), path=folder)
                )

            def failed(exc: BaseException) -> None:
                dialog.status.setText(
                    str(exc)
                    if isinstance(exc, UserError)
                    else _("Internal error; details are in the log.")
                )

            self.ctx.runner.run(op, on_done=done, on_error=failed)

        dialog = NewsDialog(
            self.window,
            text,
            f"{name}.txt",
            photo_count=photo_count,
            export_photos=export_photos,
        )
        self.news_dialog = dialog
        self.news_dialog.show()
        return self.news_dialog


def install(ctx: WindowContext) -> ReportActions:
    return ReportActions(ctx)
