"""Polar Flow: Polar AccessLink training data in Home Assistant, pushed by webhooks."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, HomeAssistantError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.config_entry_oauth2_flow import (
    LocalOAuth2Implementation,
    OAuth2Session,
    async_get_config_entry_implementation,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from .accesslink import (
    AccessLinkAuthError,
    AccessLinkClient,
    AccessLinkConsentError,
    AccessLinkError,
    AccessLinkNotFoundError,
)
from .api import account_access
from .archive import CONF_ARCHIVE_FOLDER, ExerciseArchive
from .const import DOMAIN, LOGGER, api_url
from .coordinator import PolarFlowCoordinator
from .fetcher import consent_issue_id
from .history import history_store
from .ledger import account_store
from .services import async_setup_services
from .statistics import async_remove_statistics, async_setup_statistics
from .webhook import PolarWebhookManager, async_get_manager

PLATFORMS = [Platform.CALENDAR, Platform.EVENT, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

type PolarFlowConfigEntry = ConfigEntry[PolarFlowData]


@dataclass(slots=True)
class PolarFlowData:
    """What a loaded Polar Flow entry holds."""

    coordinator: PolarFlowCoordinator
    webhooks: PolarWebhookManager


async def _async_implementation(
    hass: HomeAssistant, entry: PolarFlowConfigEntry
) -> LocalOAuth2Implementation:
    """Return the OAuth2 implementation, with the AccessLink client the entry signed in with."""
    implementation = await async_get_config_entry_implementation(hass, entry)
    if not isinstance(implementation, LocalOAuth2Implementation):
        raise ConfigEntryError(translation_domain=DOMAIN, translation_key="credentials_missing")
    return implementation


def _client(hass: HomeAssistant, implementation: LocalOAuth2Implementation) -> AccessLinkClient:
    """Return an AccessLink client authenticated as the application."""
    return AccessLinkClient(
        async_get_clientsession(hass),
        api_url=api_url(),
        client_id=implementation.client_id,
        client_secret=implementation.client_secret,
    )


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions of Polar Flow, which name an account by its entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: PolarFlowConfigEntry) -> bool:
    """Set up one Polar account."""
    implementation = await _async_implementation(hass, entry)
    client_id = implementation.client_id
    client = _client(hass, implementation)
    user_id = int(str(entry.unique_id))
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, str(user_id))},
        manufacturer="Polar",
        name=entry.title,
        entry_type=dr.DeviceEntryType.SERVICE,
        configuration_url="https://flow.polar.com",
    )
    webhooks = await async_get_manager(hass, client_id, client)
    user = account_access(client, user_id, OAuth2Session(hass, entry, implementation))
    coordinator = PolarFlowCoordinator(
        hass,
        entry,
        user,
        device.id,
        pending_fetches=webhooks.pending_fetches,
        scheduler=webhooks.scheduler,
    )
    # Answer notices before listing what was missed, so none falls between the two.
    detach = webhooks.async_attach(coordinator)

    async def _async_stop_account() -> None:
        """Stop the account's work and save what it saw."""
        detach()
        coordinator.async_cancel_timers()
        await coordinator.async_stop_processing()
        await coordinator.async_flush()

    # After async_unload_entry or a failed setup: detach first, so no notice starts new work.
    entry.async_on_unload(_async_stop_account)
    await coordinator.async_load()
    # Before the first refresh, so that its listing, the baseline, is written too.
    await async_setup_statistics(hass, entry, coordinator)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = PolarFlowData(coordinator=coordinator, webhooks=webhooks)
    if archive_folder := entry.options.get(CONF_ARCHIVE_FOLDER):
        archive = ExerciseArchive(hass, entry, coordinator, archive_folder)
        entry.async_on_unload(archive.async_start())
    entry.async_on_unload(coordinator.async_cancel_timers)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    @callback
    def _async_started(_hass: HomeAssistant) -> None:
        """Publish what was missed and register with Polar once Home Assistant runs.

        Automations arm and HTTP answers only then, and Polar pings the webhook at once.
        """
        coordinator.publisher.async_start()
        coordinator.backfill.async_start()
        entry.async_create_background_task(
            hass, webhooks.async_ensure(), f"{DOMAIN} webhook registration"
        )

    entry.async_on_unload(async_at_started(hass, _async_started))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PolarFlowConfigEntry) -> bool:
    """Unload one Polar account; the Polar webhook stays for the next start."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_deregister_user(hass: HomeAssistant, token: str, user_id: int) -> None:
    """Deregister the account at Polar, which stops its pushes and revokes its token."""
    client = AccessLinkClient(async_get_clientsession(hass), api_url=api_url())
    try:
        await client.delete_user(token, user_id)
    except (AccessLinkAuthError, AccessLinkConsentError, AccessLinkNotFoundError) as err:
        LOGGER.debug("The removed Polar account was no longer registered: %s", err)
    except AccessLinkError as err:
        LOGGER.warning(
            "Could not deregister the removed Polar account at Polar (%s); notices Polar may"
            " still send for it are ignored",
            err,
        )


async def async_remove_entry(hass: HomeAssistant, entry: PolarFlowConfigEntry) -> None:
    """Deregister a removed account at Polar and forget it; the last one deletes the webhook."""
    if entry.unique_id is not None:
        user_id = int(entry.unique_id)
        await _async_deregister_user(hass, entry.data["token"]["access_token"], user_id)
        await account_store(hass, user_id).async_remove()
        await history_store(hass, user_id).async_remove()
        await async_remove_statistics(hass, user_id)
        ir.async_delete_issue(hass, DOMAIN, consent_issue_id(user_id))
    auth = entry.data.get("auth_implementation")
    if any(
        other.data.get("auth_implementation") == auth
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    ):
        return
    try:
        implementation = await _async_implementation(hass, entry)
    except HomeAssistantError:
        LOGGER.warning(
            "The application credentials of this account are gone, so its webhook could not be"
            " deleted at Polar; delete it at admin.polaraccesslink.com if it is no longer used"
        )
        return
    client = _client(hass, implementation)
    await PolarWebhookManager(hass, implementation.client_id, client).async_delete()
