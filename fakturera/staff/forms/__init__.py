"""Staff forms: they parse what was typed; the services decide whether it is right.

Identifiers, prices and VAT are left as text here on purpose, so the message a
person sees is the service's ("“556732-1708” is not a valid Swedish organisation
number: ..."), the same one the API will give.
"""

from __future__ import annotations
