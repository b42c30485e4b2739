"""Photos in the main window.

- The session form's "Photos" box gets a `PhotoGrid` for the session on screen. The form keeps
  the session's photo ids (`photo_ids`) for its own saves; after the grid changed the list in
  the library, a clean form is reloaded and a form with unsaved edits gets the new list, so a
  later save never puts back an old list. After an import, empty GPS fields are filled from
  the photos' EXIF position (the user saves it with the form).
- The guide form's steps get a photo strip under the step's text (`StepPhotos`): its list is
  part of the form's edits, saved with the guide.
- Record menu: "Export photos…" of the selected session (upright JPEGs for printing, for
  WeChat or at their original size, named by date and caption) into a folder named after the
  session, in the background with a progress dialog and Cancel.
- Tools menu: "Clean up unused photos…", after a confirmation naming how many, on the window's
  writer with a progress dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.core.settings import Settings
from desktop_app.core.timezones import in_zone
from desktop_app.ui import file_dialogs, layout_state, text_fit
from desktop_app.ui.ops import run_with_progress

if TYPE_CHECKING:
    from desktop_app.services import photos
    from desktop_app.ui.extensions import WindowContext
    from desktop_app.ui.photo_grid import PhotoGrid
    from desktop_app.ui.step_photos import StepPhotos

EXPORT_DIR_KEY = layout_state.PHOTOS_EXPORT_DIR
# What the user is asked instead of pixels: (label, long edge in pixels).
EXPORT_SIZES = [
    (N_("For printing (3000 px)"), 3000),
    (N_("For WeChat (1280 px)"), 1280),
    (N_("Original size"), 20000),  # the service's largest: nothing is scaled down
]


def install(ctx: WindowContext) -> dict[str, QAction]:
    # The forms are built when first shown; the photo widgets (and the photo service, which
    # needs the ORM) come with them.
    ctx.when_form_built("session", lambda form: attach_grid(ctx, form))
    ctx.when_form_built("guide", lambda form: attach_step_photos(ctx, form))
    export = QAction(_("Export photos…"), ctx.window())
    export.setObjectName("export_photos_action")
    export.setToolTip(_("Save the selected session's photos as upright JPEGs"))
    export.triggered.connect(lambda _checked=False: export_photos(ctx))
    ctx.menus["record"].addAction(export)
    cleanup = QAction(_("Clean up unused photos…"), ctx.window())
    cleanup.setObjectName("cleanup_photos_action")
    cleanup.triggered.connect(lambda _checked=False: cleanup_photos(ctx))
    ctx.menus["tools"].addAction(cleanup)
    return {"export": export, "cleanup": cleanup}


# --- the grid in the session form --------------------------------------------------------------


def attach_grid(ctx: WindowContext, form: Any) -> PhotoGrid | None:
    from desktop_app.ui.photo_grid import PhotoGrid

    box = getattr(form, "photos_box", None)
    if box is None or box.layout() is None:
        return None
    grid = PhotoGrid(
        ctx.library,
        runner=ctx.runner,
        writer=ctx.writer,
        undo_stack=ctx.undo_stack,
        report=ctx.report,
    )
    grid.setObjectName("session_photo_grid")
    grid.setMinimumHeight(260)
    box.layout().addWidget(grid)
    form.photo_grid = grid

    # The form has no "loaded" signal: follow its populate() so the grid always shows the
    # session on screen (a new, unsaved session gets a disabled grid).
    populate = form.populate

    def populate_and_show(data: Any) -> None:
        populate(data)
        grid.show_session(form.record_id())

    form.populate = populate_and_show

    def photos_changed(ids: list[str]) -> None:
        session_id = form.record_id()
        if session_id is None or session_id != grid.session_id:
            return
        if form.is_dirty():
            form.photo_ids = list(ids)  # saved with the other edits; the library agrees
            form.adopt_current_version()  # the grid's own change is not someone else's
        else:
            form.load(session_id)  # shows the new revision; stays clean
        ctx.reload_list("session")  # the list's photo count, now rather than at the save

    def import_finished(_results: list[photos.ImportResult]) -> None:
        # The form fills empty GPS fields from the photos' EXIF; the user saves it.
        if grid.session_id is not None and form.fill_gps_from_photos(only_if_empty=True):
            ctx.show_status(_("GPS filled in from the photos; save the session to keep it."), 8000)

    grid.photosChanged.connect(photos_changed)
    grid.importFinished.connect(import_finished)
    return grid


# --- the photos of the selected guide step ----------------------------------------------------


def attach_step_photos(ctx: WindowContext, form: Any) -> StepPhotos | None:
    from desktop_app.ui.step_photos import StepPhotos

    steps = getattr(form, "steps", None)
    step_text = getattr(form, "step_text", None)
    box = step_text.parentWidget() if step_text is not None else None
    layout = box.layout() if box is not None else None
    if steps is None or layout is None:
        return None
    strip = StepPhotos(
        ctx.library,
        runner=ctx.runner,
        writer=ctx.writer,
        undo_stack=ctx.undo_stack,
        report=ctx.report,
    )
    strip.setObjectName("step_photos")
    layout.insertWidget(layout.indexOf(step_text) + 1, strip)
    form.step_photos = strip

    def show_current(*_args: Any) -> None:
        row = steps.current_row()
        if row < 0:
            strip.show_ids(None)
        else:
            strip.show_ids(list(steps.model.row_dict(row).get("photo_ids") or []))

    def ids_changed(ids: list[str]) -> None:
        row = steps.current_row()
        if row >= 0:
            steps.model.set_value(row, "photo_ids", list(ids))
            steps.model.set_value(row, "photos", len(ids))

    steps.view.selectionModel().currentRowChanged.connect(show_current)
    steps.model.modelReset.connect(show_current)
    strip.idsChanged.connect(ids_changed)
    show_current()
    return strip


# --- export ------------------------------------------------------------------------------------


def _selected_session(ctx: WindowContext) -> str | None:
    kind, ids = ctx.current_selection()
    if kind == "session" and len(ids) == 1:
        return ids[0]
    form = ctx.shown_form()
    if form is not None and form.kind == "session" and form.record_id() is not None:
        return form.record_id()
    return None


def _start_dir() -> str:
    """The folder proposed: the last one used, else Pictures, Documents or home — the first
    that exists (a missing one made Qt's dialog fail)."""
    last = str(layout_state.layout_settings().value(EXPORT_DIR_KEY, "") or "")
    locations = QStandardPaths.StandardLocation
    candidates = [
        last,
        QStandardPaths.writableLocation(locations.PicturesLocation),
        QStandardPaths.writableLocation(locations.DocumentsLocation),
        str(Path.home()),
    ]
    return next((c for c in candidates if c and Path(c).is_dir()), str(Path.home()))


def session_folder_name(ctx: WindowContext, session_id: str) -> str:
    """`2025-08-15 绿色养护提质增效`: the session as the list shows it, fit for a folder."""
    from desktop_app.services import catalog, photos

    data = catalog.load_session(ctx.library, session_id)
    when = in_zone(data.starts_at, data.time_zone).strftime("%Y-%m-%d")
    name = photos.safe_filename_part(f"{when} {data.theme.strip() or data.venue.strip()}")
    return name or when


def unused_folder(parent: Path, name: str) -> Path:
    """`parent/name`, or `name-2`… when an earlier export is already there."""
    candidate, n = parent / name, 2
    while candidate.exists():
        candidate, n = parent / f"{name}-{n}", n + 1
    return candidate


def export_photos(ctx: WindowContext) -> None:
    from desktop_app.services import photos

    session_id = _selected_session(ctx)
    if session_id is None:
        QMessageBox.information(
            ctx.window(), _("Export photos"), _("Select one field session in the list first.")
        )
        return
    try:
        count = len(photos.session_photos(ctx.library, session_id))
    except UserError as err:
        ctx.report(err)
        return
    if count == 0:
        QMessageBox.information(ctx.window(), _("Export photos"), _("This session has no photos."))
        return
    folder = file_dialogs.existing_folder(ctx.window(), _("Export photos to"), _start_dir())
    if not folder:
        return
    settings = layout_state.layout_settings()
    chosen_sizes = Settings()
    labels = [_(label) for label, _edge in EXPORT_SIZES]
    edges = [edge for _label, edge in EXPORT_SIZES]
    try:
        last = edges.index(int(chosen_sizes.get("photos.export_long_edge")))
    except ValueError:
        last = 0
    chosen = text_fit.ask_item(
        ctx.window(), _("Export photos"), _("Size of the exported photos:"), labels, last
    )
    if chosen is None or chosen not in labels:
        return
    edge = edges[labels.index(chosen)]
    settings.setValue(EXPORT_DIR_KEY, folder)
    chosen_sizes.set("photos.export_long_edge", edge)
    # Into a folder of their own, named after the session, never loose among other files.
    target = unused_folder(Path(folder), session_folder_name(ctx, session_id))
    library = ctx.library

    def op(progress: Progress) -> list[Path]:
        return photos.export_session_photos(library, session_id, target, edge, progress)

    def done(written: list[Path]) -> None:
        QMessageBox.information(
            ctx.window(),
            _("Export photos"),
            _("{n} photos exported to {path}.").format(n=len(written), path=target),
        )

    run_with_progress(
        ctx.window(),
        _("Exporting photos…"),
        op,
        done,
        via=ctx.runner,  # a read: it need not wait for writes
        failure_title=_("Export photos"),
        object_name="photo_export_progress",
        text=lambda done_count, total, _name: _("Exporting photos… {done} of {total}").format(
            done=done_count, total=total
        ),
        cancelled_text=_("Export cancelled."),
    )


# --- clean-up ----------------------------------------------------------------------------------


def cleanup_photos(ctx: WindowContext) -> None:
    from desktop_app.services import photos

    if ctx.library.read_only:
        return
    unused = photos.unused_photos(ctx.library)
    if not unused:
        QMessageBox.information(
            ctx.window(),
            _("Clean up unused photos"),
            _("Every photo is used; nothing to clean up."),
        )
        return
    Button = QMessageBox.StandardButton
    answer = QMessageBox.question(
        ctx.window(),
        _("Clean up unused photos"),
        _(
            "{n} photos are not used by any session, guide step or member. Delete them and "
            "their files from the library? This cannot be undone."
        ).format(n=len(unused)),
        Button.Yes | Button.No,
        Button.No,
    )
    if answer != Button.Yes:
        return

    library = ctx.library

    def done(removed: int) -> None:
        ctx.show_status(_("Removed {n} unused photos.").format(n=removed), 8000)
        ctx.refresh()

    run_with_progress(
        ctx.window(),
        _("Cleaning up unused photos…"),
        lambda _progress: photos.cleanup_unused(library),
        done,
        via=ctx.writer,
        failure_title=_("Clean up unused photos"),
        modal=False,
        object_name="cleanup_progress",
        label=_("Clean up unused photos"),
    )
