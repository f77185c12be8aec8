"""A first end-to-end pass: workout to signed notice to fetched exercise."""

from __future__ import annotations

from .util import Receiver, Sim, signature_ok


async def test_workout_notice_fetch(sim: Sim, receiver: Receiver) -> None:
    world = await sim.world(receiver)
    result = await sim.ctl("POST", f"/_sim/users/{world.user_id}/exercises", {"sport": "RUNNING"})
    (notice,) = await receiver.wait_notices(1)
    assert world.secret is not None
    assert signature_ok(world.secret, notice)
    payload = notice.json
    assert payload["entity_id"] == result["exercise"]["id"]
    async with sim.session.get(payload["url"], headers=world.bearer) as resp:
        assert resp.status == 200
        assert (await resp.json())["sport"] == "RUNNING"
