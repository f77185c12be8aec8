"""Repair flow: take the Polar webhook over from another Home Assistant."""

from __future__ import annotations

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant

from .webhook import WEBHOOK_MANAGERS


class TakeOverWebhookFlow(RepairsFlow):
    """Point the AccessLink client's one webhook at this Home Assistant."""

    def __init__(self, client_id: str) -> None:
        """Remember whose webhook to take over."""
        self._client_id = client_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain what taking over does; do it once confirmed."""
        manager = self.hass.data.get(WEBHOOK_MANAGERS, {}).get(self._client_id)
        if manager is None:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                description_placeholders={"other": manager.registration.other_origin or "-"},
            )
        if not await manager.async_take_over():
            return self.async_abort(reason="take_over_failed")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes a webhook taken by another Home Assistant."""
    return TakeOverWebhookFlow(str((data or {}).get("client_id")))
