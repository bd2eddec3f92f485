"""Shared fixtures."""
import signal

import pytest


@pytest.fixture
def sigint_default():
    """SIGINT raises KeyboardInterrupt in this process and has its default action in the processes
    it starts, however pytest was launched. A background job of a non-interactive shell (``cmd &``
    in a script, nohup) starts with SIGINT ignored; Python then installs no handler and children
    inherit the ignore, so the tests that send SIGINT tested the launch, not isasim (all of them
    failed in a clean-clone CI run started that way). A Python-level handler is reset to the
    default action across exec, so the children get the default too."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)
