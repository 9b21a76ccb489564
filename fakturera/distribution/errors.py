"""A remote service's error, made plain text for the history and the Sending page.

A service (or the proxy in front of it) may answer an error with a whole HTML page;
what is kept is its status line and a short readable excerpt, never markup:
`plain_error(502, b"<html>...<h1>502 Bad Gateway</h1>...nginx...", "text/html")` is
"HTTP 502 Bad Gateway: nginx". Every transport that records a service's words passes
them through here (transports/_http.py for the letter service and the Peppol access
point, channels/email.py for SMTP answers); distribution's migration 0003 cleans the
stored history with it too.
"""

from __future__ import annotations

import html.parser
import http
import re

EXCERPT_LENGTH = 200
# Their content is not text a reader should see.
SKIPPED = frozenset({"head", "script", "style", "noscript", "template", "svg"})
WHITESPACE = re.compile(r"\s+")
# A document's or a block's opening tag, or any closing tag ("<anna@example.se>" is an address, not markup).
LOOKS_LIKE_HTML = re.compile(
    r"<\s*(!doctype|html|head|body|p|div|h[1-6]|title|br|pre|center|span|table)\b|</[a-z][a-z0-9]*\s*>", re.I
)


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skipping: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIPPED:
            self.skipping.append(tag)
        self.in_title = self.in_title or tag == "title"
        # Tags separate words (<td>a</td><td>b</td> is "a b", not "ab").
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass
        if tag == "title":
            self.in_title = False
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def _collapse(text: str) -> str:
    return WHITESPACE.sub(" ", text).strip()


def _html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    # A page with nothing in its body still names the error in its title.
    return _collapse("".join(parser.parts)) or _collapse("".join(parser.title))


def _excerpt(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0] if " " in text[:length] else text[:length]
    return cut.rstrip(" ,.;:") + "…"


def plain_text(body: bytes | str, content_type: str = "", *, length: int = EXCERPT_LENGTH) -> str:
    """The readable words of a body: tags, scripts and styles removed from HTML (by its
    content type or by its look), whitespace collapsed, at most about `length` characters."""
    if isinstance(body, bytes):
        charset = re.search(r"charset=([\w-]+)", content_type or "", re.I)
        try:
            body = body.decode(charset.group(1) if charset else "utf-8", "replace")
        except LookupError:
            body = body.decode("utf-8", "replace")
    if "html" in (content_type or "").lower() or LOOKS_LIKE_HTML.search(body):
        body = _html_text(body)
    return _excerpt(_collapse(body), length)


def status_line(status: int) -> str:
    """ "HTTP 502 Bad Gateway"; a status without a standard phrase as its number alone."""
    try:
        return f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _starts_with_words(text: str, words: str) -> bool:
    return text.lower().startswith(words.lower()) and not text[len(words) : len(words) + 1].isalnum()


def plain_error(status: int, body: bytes | str, content_type: str = "", *, length: int = EXCERPT_LENGTH) -> str:
    """ "HTTP 502 Bad Gateway: <the first readable text of the body>", or the status line
    alone when the body says nothing more. An error page usually repeats its status as
    title and heading; the repeats are left out."""
    line = status_line(status)
    text = plain_text(body, content_type, length=length + len(line))
    phrase = line.removeprefix(f"HTTP {status}").strip()
    repeated = tuple(r for r in (line, line.removeprefix("HTTP "), str(status), phrase) if r)
    while text:
        stripped = next((text[len(r) :] for r in repeated if _starts_with_words(text, r)), None)
        if stripped is None:
            break
        text = stripped.lstrip(" :-–—")
    text = _excerpt(text, length)
    return f"{line}: {text}" if text else line
