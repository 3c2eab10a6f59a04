"""Guard against the PySide6 6.12.0 refcount bug that aborts Python 3.11 at exit.

6.12.0 drops a reference to ``True`` on every emission of a Python-defined signal; after a few
thousand emissions the interpreter dies with "bool_dealloc". A Qt bump must pass this first.
"""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    happened = Signal(str)

    def on_happened(self, _text: str) -> None:
        pass


def test_emitting_a_python_signal_keeps_true_alive(qapp):
    emitter = _Emitter()
    emitter.happened.connect(emitter.on_happened)
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.happened.emit("x")
    assert sys.getrefcount(True) - before > -50, "this PySide6 leaks references to True: pin another"
