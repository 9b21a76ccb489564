"""Distribution's history events as data: the sentences it wrote into the invoices'
history (in the writer's language: staff's own, the worker's the site's, Swedish) become the codes and
parameters history.py words for each reader; a channel's name becomes its code; a
service's error, and anything not recognised, stays as plain text (errors.plain_text:
an HTML error page stored as it came becomes its readable words, never markup).

Runs between invoicing 0006 (the column `params`) and 0007 (which drops `message`).
"""

import re

from django.db import migrations

from fakturera.distribution.errors import plain_text

KINDS = (
    "queued", "sent", "send_failed", "send_undone", "send_stopped", "not_sent", "send_uncertain",
    "reminder_queued", "reminded", "reminder_failed",
)  # fmt: skip

# The channels' names as the code and the Swedish catalogue had them.
CHANNELS = {
    "E-mail": "email", "E-post": "email",
    "Letter": "letter", "Brev": "letter",
    "Print": "print", "Utskrift": "print",
    "Portal": "portal",
    "Peppol e-invoice": "peppol", "E-faktura (Peppol)": "peppol",
    "Export": "export",
    "Direct debit (Autogiro)": "direct_debit", "Autogiro": "direct_debit",
}  # fmt: skip

# (English, Swedish) sentence -> the parameters it says beside its placeholders.
SENTENCES = {
    "queued": [
        (("Waiting to be sent by %(channel)s to %(to)s", "Väntar på att skickas med %(channel)s till %(to)s"), {}),
        (("Sent again by %(channel)s to %(to)s.", "Skickas igen med %(channel)s till %(to)s."), {"resent": True}),
    ],
    "reminder_queued": [
        (
            (
                "Reminder waiting to be sent by %(channel)s to %(to)s",
                "Påminnelse väntar på att skickas med %(channel)s till %(to)s",
            ),
            {},
        ),
    ],
    "sent": [
        (("Sent by %(channel)s to %(to)s", "Skickad med %(channel)s till %(to)s"), {}),
        (
            ("Confirmed as sent by %(channel)s to %(to)s.", "Bekräftad som skickad med %(channel)s till %(to)s."),
            {"confirmed": True},
        ),
    ],
    "reminded": [
        (
            (
                "Reminder %(count)s sent by %(channel)s to %(to)s",
                "Påminnelse %(count)s skickad med %(channel)s till %(to)s",
            ),
            {},
        ),
        (
            ("Confirmed as sent by %(channel)s to %(to)s.", "Bekräftad som skickad med %(channel)s till %(to)s."),
            {"confirmed": True},
        ),
    ],
    "send_failed": [
        (("Sending by %(channel)s failed: %(error)s", "Utskicket med %(channel)s misslyckades: %(error)s"), {}),
    ],
    "reminder_failed": [
        (("Sending by %(channel)s failed: %(error)s", "Utskicket med %(channel)s misslyckades: %(error)s"), {}),
    ],
    "send_undone": [
        (("Sending by %(channel)s was undone.", "Utskicket med %(channel)s ångrades."), {}),
    ],
    "send_stopped": [
        (
            (
                "Not sent: the invoice was credited inside the undo window.",
                "Inte skickad: fakturan krediterades inom ångertiden.",
            ),
            {},
        ),
    ],
    "send_uncertain": [
        (
            (
                "It is not known whether this reached %(to)s by %(channel)s: confirm it as sent or send it again.",
                "Det är okänt om den nådde %(to)s med %(channel)s: bekräfta den som skickad eller skicka den igen.",
            ),
            {},
        ),
    ],
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Stored messages held at most 500 characters; what is kept of a text we cannot read back.
TEXT_LENGTH = 500
BATCH = 2000


def _pattern(sentence):
    parts = PLACEHOLDER.split(sentence)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    return re.compile(regex, re.DOTALL)


PATTERNS = {
    kind: [(_pattern(sentence), extra) for sentences, extra in rows for sentence in sentences]
    for kind, rows in SENTENCES.items()
}


def _text(words):
    """Words we cannot turn back into a code, as the history keeps them: plain text."""
    return {"code": "text", "params": {"text": plain_text(words, length=TEXT_LENGTH)}}


def _channel(value):
    return CHANNELS.get(value, value)


def converted(kind, message, details):
    """The parameters of an old event of distribution's kinds: `details` as stored (the
    channel by its name, the routing notes as one sentence) and `message` read back."""
    params = dict(details or {})
    if params.get("channel"):
        params["channel"] = _channel(params["channel"])
    if isinstance(params.get("routing"), str):
        params["routing"] = [_text(params["routing"])]
    message = (message or "").strip()
    if not message:
        return params
    if kind == "not_sent":
        # The message was the reason itself.
        return {**params, "reason": _text(message)}
    for pattern, extra in PATTERNS.get(kind, []):
        found = pattern.fullmatch(message)
        if found is None:
            continue
        said = found.groupdict()
        if "channel" in said:
            params.setdefault("channel", _channel(said["channel"]))
        if "to" in said:
            params.setdefault("recipient", said["to"])
        if "count" in said:
            params["count"] = int(said["count"]) if said["count"].isdigit() else said["count"]
        if "error" in said:
            params["error"] = _text(said["error"])
        return {**params, **extra}
    return {**params, "text": plain_text(message, length=TEXT_LENGTH)}


def convert(apps, schema_editor):
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    changed = []
    rows = InvoiceEvent.objects.filter(kind__in=KINDS).only("kind", "message", "params")
    for event in rows.iterator(chunk_size=BATCH):
        event.params, event.message = converted(event.kind, event.message, event.params), ""
        changed.append(event)
        if len(changed) >= BATCH:
            InvoiceEvent.objects.bulk_update(changed, ["params", "message"])
            changed = []
    InvoiceEvent.objects.bulk_update(changed, ["params", "message"])


class Migration(migrations.Migration):

    dependencies = [
        ("distribution", "0002_invoice_sending"),
        ("invoicing", "0006_history_as_data"),
    ]

    operations = [
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
