"""The repair issue that tells the user why Polar cannot push to Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify

from .const import DOMAIN
from .registration import PolarRegistration, PushProblem

ISSUE_PUSH = "push_unavailable"


def push_issue_id(client_id: str) -> str:
    """Return the id of the repair issue about push of one AccessLink client."""
    return f"{ISSUE_PUSH}_{slugify(client_id)}"


@callback
def async_update_push_issue(
    hass: HomeAssistant,
    client_id: str,
    problem: PushProblem | None,
    registration: PolarRegistration,
) -> None:
    """Raise the repair issue for what the user can fix, clear it once push works."""
    issue_id = push_issue_id(client_id)
    if problem is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    elif problem == "taken":
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            data={"client_id": client_id},
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="push_taken",
            translation_placeholders={"other": registration.other_origin or "-"},
        )
    elif problem != "polar_unavailable":
        # For the user to fix; Polar failing a while raises none and keeps an earlier one.
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"push_{problem}",
            translation_placeholders={"url": registration.url or "-"},
            learn_more_url="https://www.home-assistant.io/docs/configuration/remote/",
        )
