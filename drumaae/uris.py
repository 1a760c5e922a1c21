"""URIs in messages: credentials hidden, with a real URL parser.

A tracking URI or a ``--server`` URL may carry a password (``https://user:pw@host``). Every
message, log line, manifest and ``--debug`` traceback that can show one goes through `redact`,
which finds each ``scheme://...`` in a text and replaces its userinfo (everything up to the
*last* ``@`` of the authority, so a raw ``@`` inside the password is hidden too) by ``***``.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

__all__ = ["redact", "redact_uri"]

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")


def redact_uri(uri: str) -> str:
    """One URI with its credentials replaced by ``***`` (``http://***@host:8501/x``)."""
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError:  # not parseable as a URL: hide anything before an '@' to be safe
        head, at, tail = uri.rpartition("@")
        return f"{head.split('://', 1)[0]}://***@{tail}" if at else uri
    if "@" not in parts.netloc:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))


def redact(text: Any) -> str:
    """`text` with the credentials of every URI in it hidden (`redact_uri`)."""
    return _URI.sub(lambda m: redact_uri(m.group(0)), str(text))
