"""Two Home Assistants signed in with one AccessLink client: no webhook tug of war."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from scripts.harness import (
    DOMAIN,
    EVENT_EXERCISE,
    HomeAssistantApi,
    SimControl,
    e2e_configuration,
    free_port,
    link_integration,
    next_event,
    sign_in,
    wait_until,
    write_partial_onboarding,
)

from .conftest import ALICE, BOB, CLIENT_ID, Stack, _prepare, run, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DELETE_HOOK = "DELETE /v3/webhooks/{webhook_id}"


@pytest.fixture(scope="module")
def second(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Run a second, onboarded Home Assistant against the first one's simulator."""
    root = tmp_path_factory.mktemp("e2e-second")
    current = Stack(root=root, port=free_port(), sim_url=stack.sim_url, sim=stack.sim)
    try:
        current.config_dir.mkdir()
        (current.config_dir / "configuration.yaml").write_text(
            e2e_configuration(current.port, name="Polar Flow e2e second")
        )
        link_integration(current.config_dir)
        write_partial_onboarding(current.config_dir)
        current.start_hass()
        try:
            run(_prepare(current))
        except BaseException as err:
            err.add_note(f"--- second hass log (tail)\n{current.logs()[0][1]}")
            raise
        yield current
    finally:
        current.stop_hass()


async def _push_issue(api: HomeAssistantApi) -> dict[str, Any] | None:
    """Return the Polar push repair issue of an instance, if it has one."""
    async with await api.websocket() as ws:
        result = await ws.command("repairs/list_issues")
    return next(
        (
            issue
            for issue in result["issues"]
            if issue["domain"] == DOMAIN and issue["issue_id"].startswith("push_unavailable")
        ),
        None,
    )


async def _taken_issue(api: HomeAssistantApi) -> dict[str, Any] | None:
    """Return the 'taken by another Home Assistant' issue once it is raised."""
    issue = await _push_issue(api)
    return issue if issue and issue["translation_key"] == "push_taken" else None


async def _webhook_at(sim: SimControl, hass_url: str) -> dict[str, Any] | None:
    """Return the client's webhook once it points at hass_url."""
    hook: dict[str, Any] | None = (await sim.client(CLIENT_ID)).get("webhook")
    return hook if hook and hook["url"].startswith(f"{hass_url}/api/webhook/") else None


async def _pushed_to(api: HomeAssistantApi, sim: SimControl, user_id: int) -> dict[str, Any]:
    """Finish a workout of user_id and return the event the instance published for it."""
    async with await api.websocket() as ws:
        events = await ws.subscribe_events(EVENT_EXERCISE)
        created = await sim.workout(user_id, sport="RUNNING", duration=1800, distance=5000)
        event = await next_event(events, 20, f"exercise event of {user_id} at {api.base_url}")
    assert event["data"]["exercise_id"] == created["exercise"]["id"]
    return event


async def test_second_instance_asks_before_taking_the_webhook(
    stack: Stack,
    second: Stack,
    api: HomeAssistantApi,
    sim: SimControl,
    session: aiohttp.ClientSession,
) -> None:
    """B leaves A's webhook alone and says so; taking it over on B moves it; A then says so."""
    other = await second.ready(session)
    try:
        await signed_in(stack, api, ALICE)
        await wait_until(lambda: _webhook_at(sim, stack.hass_url), "A's webhook", 30)

        done = await sign_in(other, polar_user=BOB)
        assert done.result["type"] == "create_entry", done.result
        issue = await wait_until(lambda: _taken_issue(other), "B's take-over issue", 30)
        assert issue["is_fixable"] is True
        assert issue["translation_placeholders"]["other"] == stack.hass_url
        assert await _webhook_at(sim, stack.hass_url), "B took the webhook without asking"
        assert (await sim.request_counts()).get(DELETE_HOOK) is None
        await _pushed_to(api, sim, ALICE)  # A keeps receiving pushes

        # The user takes the webhook over on B, through the repairs API as the frontend does.
        flow = await other.post(
            "/api/repairs/issues/fix", {"handler": DOMAIN, "issue_id": issue["issue_id"]}
        )
        assert (flow["type"], flow["step_id"]) == ("form", "confirm"), flow
        result = await other.post(f"/api/repairs/issues/fix/{flow['flow_id']}", {})
        assert result["type"] == "create_entry", result
        assert await _webhook_at(sim, second.hass_url)
        assert await _push_issue(other) is None
        await _pushed_to(other, sim, BOB)  # B receives pushes now

        # A's next check (a reload here) sees B's webhook: an issue on A, no tug of war.
        await api.post(f"/api/config/config_entries/entry/{stack.entries[ALICE]}/reload")
        issue_a = await wait_until(lambda: _taken_issue(api), "A's take-over issue", 30)
        assert issue_a["translation_placeholders"]["other"] == second.hass_url
        assert await _webhook_at(sim, second.hass_url), "A took the webhook back"
        assert (await sim.request_counts()).get(DELETE_HOOK) == 1
        assert await _push_issue(other) is None
        for instance in (stack, second):
            log = instance.hass_log.read_text(encoding="utf-8", errors="replace")
            assert [line for line in log.splitlines() if " ERROR " in line] == []
    except BaseException as err:
        err.add_note(f"--- second hass log (tail)\n{second.logs()[0][1]}")
        raise
