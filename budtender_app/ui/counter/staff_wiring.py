"""Staff sign-in on the counter window (issue 13): the sign-in screen over the counter, the
signed-in name and "Switch cashier (Ctrl+L)" in the status bar, and the idle lock.

- The sign-in screen is a child of the window's central widget laid over the sale (below the
  training banner, which stays in view: in training it shows the demo passcodes). The sale's
  widgets and view model are untouched: a lock only covers them, so the next sign-in returns to
  the same step with the same picks and the same focus.
- While locked the sale's widgets and the status bar's buttons are disabled (Tab cannot reach
  them) and the window's shortcuts are held back: an application event filter accepts the key's
  ShortcutOverride, so the key goes to the passcode field as typing.
- An open popup (a window of its own, which the sign-in screen cannot cover) is held out of sight
  while locked and comes back at the next sign-in (ui/counter/lock_hold.py).
- The same filter (key and mouse presses only: cheap) tells the session the terminal is in use;
  a timer asks the session every few seconds whether the idle time is up.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QPushButton, QWidget

from budtender_app.domain.messages import Level
from budtender_app.domain.staff import TRAINING_STAFF
from budtender_app.ui.common.widgets import named
from budtender_app.ui.counter.lock_hold import DialogHold
from budtender_app.ui.counter.setup_page import SetupPage
from budtender_app.ui.counter.sign_in_page import SignInPage
from budtender_app.viewmodels.first_setup import FirstSetup
from budtender_app.viewmodels.staff_session import StaffSession

#: How often the idle time is checked (ms): a lock comes at most this late.
IDLE_CHECK_MS = 5000
SWITCH_KEY = "Ctrl+L"
NAME_WIDTH = 260  # px of "Signed in: name" in the status bar at most (1024 px screens: status_bar.py)
_PRESSES = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress)
_GEOMETRY = (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move)


def warn_no_sign_in(window: QMainWindow, text: str) -> QLabel:
    """The staff store cannot open: a red line in the status bar says sign-in is off, and why."""
    label = named(QLabel(text, window), "staff_off_label", "Staff sign-in is off")
    label.setWordWrap(True)
    window.statusBar().insertWidget(0, label, 1)
    return label


def training_staff_note() -> str:
    """The demo staff and their passcodes, for the training banner (public by design: domain/staff.py)."""
    return "Sign in as " + " or ".join(f"{a.name} ({a.passcode})" for a in TRAINING_STAFF)


def show_training_hints(window: QMainWindow, session: StaffSession, *, shoppers: str) -> None:
    """Training's banner says what the trainee needs now: the demo passcodes while the counter is
    locked, the demo shoppers' phones once someone is signed in. The status bar just says
    "Training" (with a name and the manager's buttons, the phones did not fit a 1024 px bar)."""
    banner = getattr(window, "banner", None)
    show_location = getattr(window, "show_location", None)
    if banner is None:
        return

    def show() -> None:
        banner.show_staff(training_staff_note() if session.current is None else shoppers)

    session.signed_in.connect(show)
    session.signed_out.connect(show)
    show()
    if show_location is not None:
        show_location(window.tr("Training"))


class StaffWiring(QObject):
    """Puts a StaffSession on a counter window (app.py builds one when the terminal has staff)."""

    def __init__(self, window: QMainWindow, session: StaffSession, *, hint: str = "",
                 setup: FirstSetup | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        central = window.centralWidget()
        if central is None:
            raise ValueError("the counter window has no central widget to cover")
        self._central: QWidget = central
        self._banner: QWidget | None = getattr(window, "banner", None)
        self._covered: QWidget = getattr(window, "content", None) or central
        # Where the keyboard goes back to at sign-in: the counter's own choice at start (the cart
        # total), else where it was when the counter locked.
        self._focus: QWidget | None = window.focusWidget()
        self.page = SignInPage(session, self._central, hint=hint)
        self.hold = DialogHold(window)
        # A terminal with no manager: the first-start setup comes before anything else.
        self.setup_page = SetupPage(setup, self._central) if setup is not None else None
        if self.setup_page is not None and setup is not None:
            setup.created.connect(self._on_setup_created)
            self.setup_page.hide()
        self._create_status(window)
        QShortcut(QKeySequence(SWITCH_KEY), window, session.lock)
        self._timer = QTimer(self)
        self._timer.setInterval(IDLE_CHECK_MS)
        self._timer.timeout.connect(session.check_idle)
        self._timer.start()
        session.signed_in.connect(self._on_session_signed_in)
        session.signed_out.connect(self._on_session_signed_out)
        session.accounts_changed.connect(self._on_session_accounts_changed)
        self._central.installEventFilter(self)
        if self._banner is not None:
            self._banner.installEventFilter(self)
        self._watching = False
        if self._central.isVisible():
            self._watch_application()
        if session.current is None:
            self.hold.hold()  # a popup the counter opens before the first sign-in waits for it
        self._show_locked(session.current is None)

    def _create_status(self, window: QMainWindow) -> None:
        self.name_label = named(QLabel(window), "signed_in_label", "Signed in")
        self.switch_button = named(QPushButton(window.tr("Switch (Ctrl+L)"), window), "switch_button",
                                   "Switch cashier: lock the counter for the next person")
        self.switch_button.setFlat(True)
        self.switch_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.switch_button.clicked.connect(self._session.lock)
        window.statusBar().insertWidget(0, self.switch_button)
        window.statusBar().insertWidget(0, self.name_label)

    @property
    def locked(self) -> bool:
        return self.page.isVisible() or self._session.current is None

    # -- events ----------------------------------------------------------------------------------

    def _watch_application(self) -> None:
        """Every event of the application through this filter from now on (see eventFilter).

        From the window's first show, not before: no key or click can reach a window not yet on
        screen, and building and polishing the window sent ~770 events through Python for nothing
        (about 80 million instructions of start-up)."""
        app = QApplication.instance()
        if app is not None and not self._watching:
            app.installEventFilter(self)
            self._watching = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not self._watching and watched is self._central and kind == QEvent.Type.Show:
            self._watch_application()  # the window shows: before any key or click can come
        if self.hold.filter(watched, event):
            return True  # a key or click for a popup while locked: nobody acts in a popup unseen
        if kind in _PRESSES:
            self._session.touch()
        elif kind == QEvent.Type.ShortcutOverride and self._session.current is None and self._inside(watched):
            event.accept()  # no counter shortcut while locked: the key is typing in the passcode field
            return True
        elif watched in (self._central, self._banner) and kind in _GEOMETRY:
            self._place()
        return False

    def _inside(self, watched: QObject) -> bool:
        return isinstance(watched, QWidget) and watched.window() is self._window

    def _on_setup_created(self, _name: str) -> None:
        if self.setup_page is not None:
            self.setup_page.hide()
            self.setup_page = None  # done once: the store refuses a second first-start setup anyway
        self._show_locked(True)
        self.page.show_message(Level.OK, self._window.tr("The manager account is made. Sign in with its passcode."))

    def _on_session_accounts_changed(self) -> None:
        """The store hub brought this new register its store's managers while it asked for a first
        one: no setup is needed (the store would refuse it), sign in with your own passcode."""
        if self.setup_page is None or not self._session.store.has_manager():
            return
        self.setup_page.hide()
        self.setup_page = None
        self._show_locked(True)
        self.page.show_message(Level.OK, self._window.tr(
            "The store's staff accounts came from the store hub: sign in with your passcode."))

    def _on_session_signed_in(self, name: str) -> None:
        self._show_locked(False)

    def _on_session_signed_out(self) -> None:
        focus = QApplication.focusWidget()
        self._focus = focus if focus is not None and focus.window() is self._window else None
        self.hold.hold()
        self._show_locked(True)

    def _show_locked(self, locked: bool) -> None:
        member = self._session.current
        shown = "" if member is None else self._window.tr("Signed in: {name}").format(name=member.name)
        # Never squeezed, never past 260 px: a long name is shortened with "…", whole in its tooltip.
        metrics = self.name_label.fontMetrics()
        self.name_label.setText(metrics.elidedText(shown, Qt.TextElideMode.ElideRight, NAME_WIDTH))
        self.name_label.setToolTip(shown)
        self.name_label.setMinimumWidth(self.name_label.sizeHint().width())
        self._covered.setEnabled(not locked)
        for button in self._window.statusBar().findChildren(QPushButton):
            button.setEnabled(not locked)
        if locked:
            self._place()
            screen = self.setup_page or self.page
            self.page.setVisible(screen is self.page)
            screen.show()
            screen.raise_()
            return
        self.page.hide()
        if self._focus is not None and self._focus.isVisible() and self._focus.isEnabled():
            self._focus.setFocus()
        self._focus = None
        # After the counter's focus: a popup that comes back has the keyboard. A manager's window
        # (settings, redemptions) left open comes back to a manager only: a cashier's sign-in closes it.
        manager = member is not None and member.is_manager
        self.hold.give_back(None if manager else getattr(self._window, "manager_dialog", None))

    def _place(self) -> None:
        """The sign-in screen covers the central widget below the banner (which stays readable)."""
        rect = self._central.rect()
        if self._banner is not None and self._banner.isVisible():
            rect.setTop(self._banner.geometry().bottom() + 1)
        self.page.setGeometry(rect)
        if self.setup_page is not None:
            self.setup_page.setGeometry(rect)
