"""Global search: one box over teams, members, guides, sessions and photo captions.

Ctrl+Shift+F (Edit ▸ Search everything…), or Enter in the toolbar's search box, opens a
panel beside the list: results grouped by kind, best match first, the matching text
highlighted in a snippet. Enter in the box searches; ↓ then Enter, or a double-click, opens a
result's record in the main window (a photo
opens the session or guide that shows it). The code printed on a sign-in or feedback sheet
(活动码) opens its session directly. Queries run on the background runner, so typing
never waits for the database; answers to superseded queries are dropped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QAction,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.ui import text_fit

if TYPE_CHECKING:
    from desktop_app.services import search
    from desktop_app.ui.extensions import WindowContext

HitRole = Qt.ItemDataRole.UserRole + 1  # (kind, id) of a hit; None on group headers
HtmlRole = Qt.ItemDataRole.UserRole + 2  # rich text the delegate paints
PER_KIND = 20  # hits shown per kind
DEBOUNCE_MS = 150
SNIPPET_GREY = "#555"

_Index = QModelIndex | QPersistentModelIndex


class HtmlDelegate(QStyledItemDelegate):
    """Paints an item's HtmlRole text (title line and highlighted snippet)."""

    def _document(
        self, option: QStyleOptionViewItem, index: _Index, selected: bool = False
    ) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(3)
        text = str(index.data(HtmlRole) or "")
        if selected:  # grey snippet text would vanish on the selection colour
            text = text.replace(f"color:{SNIPPET_GREY}", "color:inherit")
        doc.setHtml(text)
        width = option.rect.width() if option.rect.width() > 0 else 480
        doc.setTextWidth(width)
        return doc

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if index.data(HtmlRole) is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        doc = self._document(option, index, selected)
        painter.save()
        rect = option.rect
        painter.translate(rect.topLeft())
        painter.setClipRect(QRectF(0, 0, rect.width(), rect.height()))
        ctx = QAbstractTextDocumentLayout.PaintContext()
        if selected:
            ctx.palette.setColor(
                QPalette.ColorRole.Text,
                opt.palette.color(QPalette.ColorRole.HighlightedText),
            )
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        if index.data(HtmlRole) is None:
            return super().sizeHint(option, index)
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 2)


def hit_html(hit: search.SearchHit) -> str:
    from desktop_app.services import search  # the search service needs the ORM: when used

    title = html.escape(hit.title) or html.escape(_("(untitled)"))
    snippet = search.to_html(hit.snippet.replace("\n", " "))
    if search.strip_marks(hit.snippet) == hit.title:
        # Only the title matched: mark it there instead of repeating it.
        return f"<b>{snippet}</b>"
    return f"<b>{title}</b><br><span style='color:{SNIPPET_GREY}'>{snippet}</span>"


class SearchPanel(QDialog):
    """A tool window with its own query box and the grouped results."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        # Ctrl+Shift+F: searches for what the toolbar box holds (`install` puts it in Edit).
        action = QAction(_("Search everything…"), ctx.window())
        action.setObjectName("search_everything_action")
        action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        action.triggered.connect(lambda: self.search_for(ctx.search_box.text().strip()))
        self.search_everything_action = action
        self.setObjectName("search_panel")
        self.setWindowTitle(_("Search everything"))
        self.resize(560, 520)

        self.query_box = QLineEdit()
        self.query_box.setObjectName("search_panel_query")
        self.query_box.setPlaceholderText(
            _("Words to find in teams, members, guides, sessions and photo captions")
        )
        self.query_box.setClearButtonEnabled(True)
        text_fit.fit_placeholder(self.query_box)  # the whole hint, at any text size
        self.results = QTreeWidget()
        self.results.setObjectName("search_results")
        self.results.setHeaderHidden(True)
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(False)
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.status = QLabel()
        self.status.setObjectName("search_status")

        layout = QVBoxLayout(self)
        layout.addWidget(self.query_box)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_query)
        self._generation = 0
        self.hits: list[search.SearchHit] = []

        self.query_box.textChanged.connect(lambda _text: self._timer.start())
        self.query_box.returnPressed.connect(self._on_return_in_box)
        self.results.itemActivated.connect(self._on_item_activated)
        self.results.itemDoubleClicked.connect(self._on_item_activated)

    # --- querying ---------------------------------------------------------------------------

    def search_for(self, text: str) -> None:
        """Show the panel with `text` and run it now."""
        self.query_box.setText(text)
        self._timer.stop()
        self.show()
        if QGuiApplication.platformName() != "offscreen":  # offscreen warns it cannot raise
            self.raise_()
        self.query_box.setFocus()
        self.run_query()

    def run_query(self) -> None:
        self._timer.stop()
        query = self.query_box.text().strip()
        self._generation += 1
        generation = self._generation
        if not query:
            self._show([], "")
            return
        library = self.ctx.library

        def op(_progress: Progress) -> list[search.SearchHit]:
            from desktop_app.services import search

            return search.search(library, query, limit=PER_KIND)

        self.status.setText(_("Searching…"))
        self.ctx.runner.run(
            op,
            on_done=lambda hits: self._on_done(generation, query, hits),
            on_error=lambda exc: self._on_error(generation, exc),
        )

    def _on_done(self, generation: int, query: str, hits: list[search.SearchHit]) -> None:
        if generation != self._generation:
            return  # the user typed on; a newer query is running
        self._show(hits, query)
        from desktop_app.services import search

        # A sheet's printed code (typed, or typed by a USB scanner) opens its session at once.
        coded = [hit for hit in hits if hit.rank == search.CODE_RANK]
        if len(coded) == 1 and self.open_hit(coded[0].kind, coded[0].id):
            self.hide()

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._show([], "")
        self.status.setText(str(exc) if isinstance(exc, Exception) else _("Search failed."))

    def _show(self, hits: list[search.SearchHit], query: str) -> None:
        from desktop_app.services import search
        from desktop_app.services.labels import kind_label_plural

        self.hits = hits
        self.results.clear()
        first: QTreeWidgetItem | None = None
        for kind, group in search.group_by_kind(hits).items():
            header = QTreeWidgetItem([f"{kind_label_plural(kind)} ({len(group)})"])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            header.setForeground(0, self.palette().color(QPalette.ColorRole.PlaceholderText))
            self.results.addTopLevelItem(header)
            for hit in group:
                item = QTreeWidgetItem(header)
                item.setData(0, HitRole, (hit.kind, hit.id))
                item.setData(0, HtmlRole, hit_html(hit))
                item.setToolTip(0, search.strip_marks(hit.snippet))
                first = first or item
            header.setExpanded(True)
        if first is not None:
            self.results.setCurrentItem(first)
        if not query:
            self.status.setText("")
        elif hits:
            self.status.setText(
                _("{n} matches for “{query}”. ↓ and Enter, or a double-click, opens one.").format(
                    n=len(hits), query=query
                )
            )
        else:
            self.status.setText(_("No matches for “{query}”.").format(query=query))

    # --- opening ----------------------------------------------------------------------------

    def _on_return_in_box(self) -> None:
        # Enter in the box searches (now, not after the debounce); a result opens with Enter
        # in the results (↓ gets there) or a double-click, never by surprise from the box.
        self.run_query()

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        data: Any = item.data(0, HitRole)
        if not data:
            return
        kind, record_id = data
        if self.open_hit(kind, record_id):
            self.hide()

    def open_hit(self, kind: str, record_id: str) -> bool:
        """Show the record in the main window; False (and a message) when it cannot be."""
        if kind == "photo":
            from desktop_app.services import search

            owner = search.photo_owner(self.ctx.library, record_id)
            if owner is None:
                self.status.setText(_("This photo is not used by any record."))
                return False
            kind, record_id = owner
        ctx = self.ctx
        if ctx.select_record(kind, record_id):
            return True
        # The list's own filter (the toolbar box, session filters) hides it: clear the box.
        if ctx.search_box.text():
            ctx.search_box.clear()
            ctx.apply_filter()  # now, not after the box's debounce
            if ctx.select_record(kind, record_id):
                return True
        self.status.setText(_("The record is hidden by the list's filters; clear them first."))
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Down from the query box moves into the results, as in a completer.
        if event.key() == Qt.Key.Key_Down and self.query_box.hasFocus():
            self.results.setFocus()
            return
        super().keyPressEvent(event)


def install(ctx: WindowContext) -> SearchPanel:
    panel = SearchPanel(ctx)
    ctx.add_shortcut(panel.search_everything_action)
    ctx.menus["edit"].addAction(panel.search_everything_action)
    # Typing in the toolbar box filters the current list; Enter searches everything.
    ctx.search_box.returnPressed.connect(lambda: panel.search_for(ctx.search_box.text().strip()))
    ctx.search_box.setToolTip(
        _("Type to filter this list; press Enter to search everything (Ctrl+Shift+F).")
    )
    return panel
