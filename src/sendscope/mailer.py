"""The mailer, as ``architecture.md`` names the use case: ``sendscope.mail`` under its name.

``from sendscope.mailer import Mailer, AsyncMailer, OutgoingMessage`` works as well as
``from sendscope import …`` (the package root exports them).
"""

from . import mail
from .mail import *  # noqa: F403

__all__ = mail.__all__
