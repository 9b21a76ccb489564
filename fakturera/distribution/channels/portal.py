"""Portal: a notice e-mail to the person with a link to the invoice in the client portal,
where they log in and download it. Never an organisation (seed 003)."""

from __future__ import annotations

from typing import Any

from fakturera.distribution.channels.email import EmailChannel, smtp_settings_problem
from fakturera.distribution.models import ChannelSetting, Purpose
from fakturera.distribution.reasons import Reason, reason
from fakturera.parties.models import Channel as ChannelCode


class PortalChannel(EmailChannel):
    code = ChannelCode.PORTAL
    needs_pdf = False
    purpose_override = Purpose.PORTAL_NOTICE

    def problem(self, facts: Any) -> Reason | None:
        if facts.recipient.is_organisation:
            return reason("portal_organisation", name=facts.recipient.name)
        if not facts.recipient.email:
            return reason("portal_without_email", name=facts.recipient.name)
        return None

    def settings_problem(self, setting: ChannelSetting) -> str | None:
        # The notice goes by the e-mail channel's SMTP server; its settings are checked there.
        return None

    @staticmethod
    def smtp_problem(email_setting: ChannelSetting | None) -> Reason | None:
        return smtp_settings_problem(email_setting)
