"""Invoice history as data: the events' `details` become their `params`, and the sentences
invoicing wrote into `message` (in the writer's language) become the parameters they
were made from, so each reader sees them in their own language (history.describe).

Only invoicing's own kinds are converted here; the apps that write kinds of their own
convert theirs in their migrations (distribution 0003), and 0007 keeps whatever message
is left as the text shown as it is.
"""

import re

from django.db import migrations

OWN_KINDS = ("created", "edited", "issued", "credited", "deleted")

# The sentences as the code and the Swedish catalogue had them (staff wrote in their own
# language, commands and workers in the site's, Swedish), and the parameter each
# placeholder becomes.
SENTENCES = {
    "issued": [
        (("Registered from the basis", "Registrerad från underlaget"), {}),
        (("Credit note for invoice %(n)s", "Kreditfaktura för faktura %(n)s"), {"n": "credited_number"}),
    ],
    "credited": [
        (("Credited by credit note %(n)s", "Krediterad med kreditfaktura %(n)s"), {"n": "credit_note_number"}),
    ],
    "created": [
        (
            (
                "Generated from recurring invoice %(name)s for %(date)s",
                "Genererad från repeterande faktura %(name)s för %(date)s",
            ),
            {"name": "recurring_name", "date": "recurring_on"},
        ),
    ],
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
BATCH = 2000


def _pattern(sentence):
    parts = PLACEHOLDER.split(sentence)
    # Literal text and placeholders alternate: every other part is a placeholder's name.
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    return re.compile(regex, re.DOTALL)


PATTERNS = {
    kind: [(_pattern(sentence), names) for sentences, names in rows for sentence in sentences]
    for kind, rows in SENTENCES.items()
}


def converted(kind, message, params):
    """An old event's parameters with its message turned back into data, or None when the
    message is not one invoicing wrote for that kind (0007 keeps it as text)."""
    params = dict(params or {})
    message = (message or "").strip()
    if not message:
        return params
    for pattern, names in PATTERNS.get(kind, []):
        found = pattern.fullmatch(message)
        if found is None:
            continue
        for placeholder, name in names.items():
            params.setdefault(name, found.group(placeholder))
        if kind == "issued" and not names:
            # "Registered from the basis" reads from the count of basis items.
            params.setdefault("basis_items", True)
        return params
    return None


def convert(apps, schema_editor):
    InvoiceEvent = apps.get_model("invoicing", "InvoiceEvent")
    rows = InvoiceEvent.objects.filter(kind__in=OWN_KINDS).exclude(message="").only("kind", "message", "params")
    changed = []
    for event in rows.iterator(chunk_size=BATCH):
        params = converted(event.kind, event.message, event.params)
        if params is None:
            continue
        event.params, event.message = params, ""
        changed.append(event)
        if len(changed) >= BATCH:
            InvoiceEvent.objects.bulk_update(changed, ["params", "message"])
            changed = []
    InvoiceEvent.objects.bulk_update(changed, ["params", "message"])


class Migration(migrations.Migration):

    dependencies = [
        ("invoicing", "0005_sending_moved_to_distribution"),
    ]

    operations = [
        migrations.RenameField(model_name="invoiceevent", old_name="details", new_name="params"),
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
