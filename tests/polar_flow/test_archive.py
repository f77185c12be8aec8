"""The exercise archive: each new exercise's FIT file saved into the folder the options name."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.polar_flow.const import DOMAIN
from tests.fit import FIT_FILE_ID, FIT_SESSION, read_fit

from .conftest import (
    API,
    FIXTURES,
    PostWebhook,
    make_entry,
    move_time,
    notice_json,
    push,
    replace_route,
    requests_to,
)

FIT = (FIXTURES / "exercise.fit").read_bytes()
FIT_PATH = "/v3/exercises/EX1/fit"
FILE_NAME = "2026-11-27_running_EX1.fit"


@pytest.fixture
def archive(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Return an archive folder Home Assistant may write to."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    return tmp_path / "polar"


@pytest.fixture
def config_entry(archive: Path) -> MockConfigEntry:
    """Return Alice's account with the exercise archive switched on."""
    return make_entry(options={"archive_folder": str(archive)})


async def _push_exercise(hass: HomeAssistant, post_webhook: PostWebhook) -> None:
    """Push EX1 and let everything it starts finish."""
    response = await post_webhook(notice_json("EX1"))
    assert response.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)


async def _exists(hass: HomeAssistant, path: Path) -> bool:
    """Return whether a path exists, looked at outside the event loop."""
    return await hass.async_add_executor_job(path.exists)


async def _sync(hass: HomeAssistant) -> None:
    """Catch up now, as the sync action does."""
    await hass.services.async_call(DOMAIN, "sync", {}, blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_new_exercise_is_archived(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    archive: Path,
) -> None:
    """A pushed exercise's FIT file lands in the folder; the baseline's old ones do not."""
    polar_api.get(f"{API}{FIT_PATH}", content=FIT)
    assert requests_to(polar_api, "GET", "/v3/exercises/EX0/fit") == 0

    await _push_exercise(hass, post_webhook)

    saved = await hass.async_add_executor_job(lambda: sorted(archive.iterdir()))
    assert [path.name for path in saved] == [FILE_NAME]
    data = await hass.async_add_executor_job(saved[0].read_bytes)
    assert read_fit(data).messages == (FIT_FILE_ID, FIT_SESSION)


async def test_failed_file_is_tried_again_after_a_catch_up(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    archive: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file AccessLink fails to give is logged without the exercise's data and fetched later."""
    polar_api.get(f"{API}{FIT_PATH}", status=500, json={"message": "down"})
    with caplog.at_level(logging.DEBUG, logger="custom_components.polar_flow"):
        await _push_exercise(hass, post_webhook)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        (
            "Could not archive the FIT file of exercise EX1 (AccessLinkServerError); trying"
            " again after the next catch-up"
        )
    ]
    assert "running" not in caplog.text.lower()
    assert not await _exists(hass, archive)

    replace_route(polar_api, "GET", f"{API}{FIT_PATH}", content=FIT)
    await _sync(hass)

    assert await _exists(hass, archive / FILE_NAME)
    assert requests_to(polar_api, "GET", FIT_PATH) == 1
    await _sync(hass)
    assert requests_to(polar_api, "GET", FIT_PATH) == 1


async def test_no_retry_while_catching_up_fails(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    archive: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A folder that cannot be made is told; the file waits for a catch-up that works."""
    polar_api.get(f"{API}{FIT_PATH}", content=FIT)
    await hass.async_add_executor_job(archive.write_text, "a file, not a folder")
    await _push_exercise(hass, post_webhook)
    assert "Could not archive the FIT file of exercise EX1 (File exists)" in caplog.text
    await hass.async_add_executor_job(archive.unlink)

    replace_route(polar_api, "GET", f"{API}/v3/exercises", status=500)
    with pytest.raises(HomeAssistantError):
        await _sync(hass)
    assert requests_to(polar_api, "GET", FIT_PATH) == 0

    replace_route(polar_api, "GET", f"{API}/v3/exercises", json=[])
    await move_time(hass, 11)
    await _sync(hass)
    assert await _exists(hass, archive / FILE_NAME)


async def test_other_kinds_are_not_archived(
    hass: HomeAssistant,
    night_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    archive: Path,
) -> None:
    """A night is published without anything archived."""
    await push(hass, post_webhook)

    assert hass.states.get("event.alice_runner_sleep") is not None
    assert not await _exists(hass, archive)


async def test_missing_file_is_not_tried_again(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file AccessLink does not have is told once and not asked again."""
    polar_api.get(f"{API}{FIT_PATH}", status=404)
    await _push_exercise(hass, post_webhook)
    assert "has no FIT file of exercise EX1" in caplog.text

    await _sync(hass)

    assert requests_to(polar_api, "GET", FIT_PATH) == 1


async def test_folder_no_longer_allowed(
    hass: HomeAssistant,
    polar_api: AiohttpClientMocker,
    setup_integration: MockConfigEntry,
    post_webhook: PostWebhook,
    archive: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A folder taken off the allowlist gets nothing, and asks AccessLink for nothing."""
    polar_api.get(f"{API}{FIT_PATH}", content=FIT)
    hass.config.allowlist_external_dirs = set()

    await _push_exercise(hass, post_webhook)

    assert "may no longer write to the archive folder" in caplog.text
    assert requests_to(polar_api, "GET", FIT_PATH) == 0
    hass.config.allowlist_external_dirs = {str(archive.parent)}
    await _sync(hass)
    assert await _exists(hass, archive / FILE_NAME)


async def test_without_the_option_nothing_is_archived(
    hass: HomeAssistant,
    setup_credentials: None,
    polar_api: AiohttpClientMocker,
    post_webhook: PostWebhook,
) -> None:
    """An account without an archive folder downloads no files."""
    entry = make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    await _push_exercise(hass, post_webhook)

    assert requests_to(polar_api, "GET", FIT_PATH) == 0
