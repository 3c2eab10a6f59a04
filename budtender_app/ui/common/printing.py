"""Qt's print dialog opened without blocking: the one way the receipt and the shift report print."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget


def open_print_dialog(parent: QWidget, doc_name: str, object_name: str, title: str,
                      accepted: Callable[[], None], finished: Callable[[int], None]) -> tuple[QPrinter, QPrintDialog]:
    """A high-resolution printer named ``doc_name`` and its dialog, opened (never exec()); printing
    happens in ``accepted``. The caller keeps both until ``finished``."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(doc_name)
    dialog = QPrintDialog(printer, parent)
    dialog.setObjectName(object_name)
    dialog.setWindowTitle(title)
    dialog.accepted.connect(accepted)
    dialog.finished.connect(finished)
    QDialog.open(dialog)  # PySide6 hides the no-argument open() behind QPrintDialog.open(receiver, slot)
    return printer, dialog
