"""errors.py: a remote service's error, an HTML error page included, as plain text."""

from __future__ import annotations

from fakturera.distribution.errors import plain_error, plain_text

NGINX = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
)
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title>
<style>body { font-family: sans-serif; color: #c00 }</style>
<script>window.dataLayer = [{"page": "error"}]; if (1 < 2) { track(); }</script></head>
<body><div class="box"><h1>Bad Request</h1>
<p>The   postal code &quot;1234&quot;
   is not valid &amp; the letter was not printed.</p><footer>Request id 7f3a</footer></div></body></html>"""


def test_an_html_error_page_becomes_its_status_line_and_readable_words():
    assert plain_error(502, NGINX.encode(), "text/html") == "HTTP 502 Bad Gateway: nginx/1.25.3"
    assert plain_error(400, PAGE, "text/html; charset=utf-8") == (
        'HTTP 400 Bad Request: The postal code "1234" is not valid & the letter was not printed. Request id 7f3a'
    )
    assert plain_error(503, b"", "") == "HTTP 503 Service Unavailable"
    # Recognised as HTML by its look when the content type does not say.
    assert plain_text("<p>Down <b>for</b>\n maintenance</p>", "text/plain") == "Down for maintenance"


def test_a_long_error_page_is_cut_to_a_short_excerpt():
    found = plain_error(500, "<html><body><p>" + "word " * 200 + "</p></body></html>", "text/html")
    assert found.startswith("HTTP 500 Internal Server Error: word word")
    assert found.endswith("…")
    assert len(found) < 260


def test_an_address_in_angle_brackets_is_not_markup():
    assert plain_text("550 5.1.1 <anna.berg@example.se>:   no  such user") == (
        "550 5.1.1 <anna.berg@example.se>: no such user"
    )
