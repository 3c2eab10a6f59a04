"""The floor for any Qt app's start-up: a bare PySide6 window, shown and taking keys.

tests/benchmarks/benchmark.py launches it exactly as it launches the app (``python FILE``, the same
platform) and stops its clock at the line printed here, as it does at the app's "focus cart_edit".
"""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    edit = QLineEdit(window)
    window.setCentralWidget(edit)

    def on_focus_changed(_old, new) -> None:
        if new is edit:
            print("focus edit", flush=True)

    def show() -> None:
        window.show()
        window.activateWindow()
        edit.setFocus()

    app.focusChanged.connect(on_focus_changed)
    # Shown from inside the running event loop, as the app does: only then are keys taken.
    QTimer.singleShot(0, show)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
