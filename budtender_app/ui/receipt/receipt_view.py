"""The receipt block on screen: a preview of the paper slip with its QR code, Print… and Save as PDF….

Qt's print dialog (opened with open(), never exec()) offers every printer and, on Linux, "Print to
File (PDF)"; Windows lists "Microsoft Print to PDF"; "Save as PDF…" writes an 80 mm PDF directly,
asking where in the user's documents folder first. Copying says "Copied" on its button for a moment:
a cashier pasting into the POS needs to know it worked without looking anywhere else.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from budtender_app.domain.receipt import Receipt
from budtender_app.ui.common.widgets import named

if TYPE_CHECKING:  # printing loads when first used, the slip's drawing when a slip is first shown
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

log = logging.getLogger(__name__)

#: How long the copy button says "Copied" after a copy.
COPIED_MS = 2000


def documents_folder() -> str:
    """The user's documents folder (where Save as PDF starts), or their home when there is none."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


class ReceiptView(QWidget):
    """Shows a Receipt as it will print; the buttons print it, save it as PDF or copy its text."""

    printed = Signal()  # sent to the printer (or to a file through the print dialog)
    saved = Signal(str)  # written as PDF to this path
    failed = Signal(str)  # what went wrong, for the cashier

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("receipt_view")
        self.receipt = Receipt(())
        self.name = "receipt"
        self.preview_label = QLabel(self)
        self.preview_label.setObjectName("receipt_preview_label")
        self.preview_label.setAccessibleName("Receipt preview")
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll_area = scroll = QScrollArea(self)
        scroll.setObjectName("receipt_scroll")
        scroll.setWidget(self.preview_label)
        scroll.setWidgetResizable(False)
        scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addLayout(self._build_buttons())
        # A QShortcut, not the button's: that one clicks after an animation. Live only while shown.
        self._print_shortcut = QShortcut(QKeySequence("Ctrl+P"), self, self._on_print_shortcut)
        self.print_dialog: QPrintDialog | None = None
        self.save_dialog: QFileDialog | None = None
        self._printer: QPrinter | None = None
        # The copy button's own words and key, put back when "Copied" has been shown long enough.
        self._copy_label = (self.copy_button.text(), self.copy_button.shortcut())
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(COPIED_MS)
        self._copied_timer.timeout.connect(self._on_copied_timer_timeout)
        self.set_receipt(self.receipt)

    def _build_buttons(self) -> QHBoxLayout:
        self.print_button = named(QPushButton(self.tr("Print receipt… (Ctrl+P)"), self), "print_receipt_button",
                                  "Print the receipt")
        self.print_button.clicked.connect(self.open_print_dialog)
        self.pdf_button = named(QPushButton(self.tr("Save as P&DF…"), self), "save_receipt_pdf_button",
                                "Save the receipt as PDF")
        self.pdf_button.clicked.connect(self.open_save_dialog)
        self.copy_button = named(QPushButton(self.tr("Cop&y text"), self), "copy_receipt_button",
                                 "Copy the receipt text")
        self.copy_button.clicked.connect(self.copy_text)
        for button in (self.print_button, self.pdf_button, self.copy_button):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        return buttons

    def set_receipt(self, receipt: Receipt, name: str = "receipt") -> None:
        """Show ``receipt``; ``name`` becomes the suggested PDF file name (e.g. the transaction ID)."""
        self.receipt = receipt
        self.name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "receipt"
        if receipt.training:  # a saved or printed training slip is named so, too
            self.name = f"TRAINING-{self.name}"
        has_content = bool(receipt.lines or receipt.qr_url)
        if has_content:  # not at start, where every slip is empty (app.warm_up loads it once the window shows)
            from budtender_app.ui.receipt.receipt_paint import render_image
        image = render_image(receipt, dpi=self._preview_dpi()) if has_content else None
        if image is None:
            self.preview_label.clear()
        else:
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())
            self.preview_label.setPixmap(pixmap)
        # The area as wide as the slip (plus a scroll bar), so a layout never crops the QR code's
        # side. An empty slip (redeeming, no answer yet) keeps the last slip's size, blank:
        # shrinking it hid the area's scroll bar and narrowed it at every checkout, and AIQ's
        # answer grew both back, each a relayout and repaint of the outcome page.
        if image is not None or not self.scroll_area.minimumWidth():
            self.preview_label.adjustSize()
            self.scroll_area.setMinimumWidth(self.preview_label.width() + 2 * self.scroll_area.frameWidth()
                                             + self.scroll_area.verticalScrollBar().sizeHint().width())
        for button in (self.print_button, self.pdf_button, self.copy_button):
            button.setEnabled(has_content)

    def _preview_dpi(self) -> float:
        # The slip at its real size on this screen, sharp on high-DPI ones.
        return max(96.0, self.logicalDpiY()) * self.devicePixelRatioF()

    # -- paper and files -----------------------------------------------------------------------

    def render_pdf(self, path: str | os.PathLike[str]) -> None:
        """Write the receipt as an 80 mm PDF at ``path`` (Save as PDF…, and tests)."""
        from budtender_app.ui.receipt.receipt_paint import render_pdf

        render_pdf(self.receipt, path)

    def open_print_dialog(self) -> None:
        """Qt's print dialog, opened without blocking; printing happens when it is accepted."""
        if self.print_dialog is not None:
            return
        from budtender_app.ui.common.printing import open_print_dialog  # QtPrintSupport: not at start

        self._printer, self.print_dialog = open_print_dialog(
            self, self.name, "receipt_print_dialog", self.tr("Print the receipt"),
            self._on_print_dialog_accepted, self._on_print_dialog_finished)

    def _on_print_shortcut(self) -> None:
        if self.print_button.isEnabled():
            self.open_print_dialog()

    def _on_print_dialog_accepted(self) -> None:
        if self._printer is None:  # only open_print_dialog opens the dialog, with a printer
            return
        from budtender_app.ui.receipt.receipt_paint import print_receipt

        try:
            print_receipt(self.receipt, self._printer)
        except Exception:
            log.exception("printing the receipt failed")
            self.failed.emit(self.tr("The receipt could not be printed. Try Save as PDF, or another printer."))
            return
        self.printed.emit()

    def _on_print_dialog_finished(self, _result: int = 0) -> None:
        if self.print_dialog is not None:
            self.print_dialog.deleteLater()
        self.print_dialog = None

    def open_save_dialog(self) -> None:
        """Ask where to save the PDF (without blocking), then write it."""
        if self.save_dialog is not None:
            return
        start = str(Path(documents_folder()) / f"{self.name}.pdf")
        dialog = QFileDialog(self, self.tr("Save the receipt as PDF"), start, self.tr("PDF (*.pdf)"))
        dialog.setObjectName("receipt_save_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(self.save_pdf)
        dialog.finished.connect(self._on_save_dialog_finished)
        self.save_dialog = dialog
        dialog.open()

    def save_pdf(self, path: str) -> None:
        try:
            self.render_pdf(path)
        except Exception:
            log.exception("saving the receipt as PDF failed")
            self.failed.emit(self.tr("The PDF could not be saved there. Choose another folder."))
            return
        self.saved.emit(path)

    def _on_save_dialog_finished(self, _result: int = 0) -> None:
        if self.save_dialog is not None:
            self.save_dialog.deleteLater()
        self.save_dialog = None

    def set_copy_label(self, text: str, key: str = "") -> None:
        """The copy button's words (and key), e.g. "Copy record (Ctrl+Shift+C)" on the outcome page."""
        self._copied_timer.stop()
        self.copy_button.setMinimumWidth(0)
        self.copy_button.setText(text)
        if key:  # after setText: Qt resets a button's shortcut to the mnemonic of its new text
            self.copy_button.setShortcut(QKeySequence(key))
        self._copy_label = (text, self.copy_button.shortcut())

    def copy_text(self) -> None:
        """Copy the record for the POS (every point figure, the store, the time) and say "Copied"."""
        QGuiApplication.clipboard().setText(self.receipt.record_text())
        key = self._copy_label[1]
        if not self._copied_timer.isActive():
            self.copy_button.setMinimumWidth(self.copy_button.sizeHint().width())  # no jump as the words change
        self.copy_button.setText(self.tr("Copied"))
        self.copy_button.setShortcut(key)  # Ctrl+Shift+C still copies while it says so
        self._copied_timer.start()

    def _on_copied_timer_timeout(self) -> None:
        text, key = self._copy_label
        self.copy_button.setText(text)
        self.copy_button.setShortcut(key)
