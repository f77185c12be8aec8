"""Webhook pings and signed notice deliveries: retries, faults, the delivery log, bursts."""

from __future__ import annotations

import asyncio
from collections import deque
import hashlib
import hmac
import ipaddress
import itertools
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from .clock import Clock, iso_z

if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import SimConfig
    from .faults import Faults
    from .state import SimState, Webhook

_LOGGER = logging.getLogger(__name__)

EVENT_TYPES: tuple[str, ...] = (
    "EXERCISE",
    "SLEEP",
    "CONTINUOUS_HEART_RATE",
    "SLEEP_WISE_CIRCADIAN_BEDTIME",
    "SLEEP_WISE_ALERTNESS",
    "ACTIVITY_SUMMARY",
    "PHYSICAL_INFORMATION",
)


def sign(secret: str, body: bytes) -> str:
    """Return Polar-Webhook-Signature: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    """Serialize a notice the way it goes on the wire."""
    return json.dumps(payload, separators=(",", ":")).encode()


def is_loopback_url(url: str) -> bool:
    """Tell whether a URL points at this machine (localhost or a loopback address)."""
    try:
        host = URL(url).host
    except ValueError:
        return False
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def valid_http_url(url: object) -> bool:
    """Tell whether a value is an absolute http(s) URL with a host."""
    if not isinstance(url, str) or len(url) > 2048:
        return False
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.scheme in {"http", "https"} and bool(parsed.host)


def build_notice(
    event: str,
    user_id: int,
    base_url: str,
    now: float,
    *,
    entity_id: str | None = None,
    date: str | None = None,
    from_date: str | None = None,
    to_date: str | None = None,
) -> dict[str, Any]:
    """Return the payload Polar sends for an event."""
    payload: dict[str, Any] = {"event": event, "user_id": user_id}
    if event == "EXERCISE":
        payload["entity_id"] = entity_id
        url = f"{base_url}/v3/exercises/{entity_id}"
    elif event in {"SLEEP", "CONTINUOUS_HEART_RATE", "ACTIVITY_SUMMARY"}:
        payload["date"] = date
        path = {
            "SLEEP": "sleep",
            "CONTINUOUS_HEART_RATE": "continuous-heart-rate",
            "ACTIVITY_SUMMARY": "activities",
        }[event]
        url = f"{base_url}/v3/users/{path}/{date}"
    elif event.startswith("SLEEP_WISE_"):
        payload["from"], payload["to"] = from_date, to_date
        kind = "alertness" if event == "SLEEP_WISE_ALERTNESS" else "circadian-bedtime"
        url = f"{base_url}/v3/users/sleepwise/{kind}/date?from={from_date}&to={to_date}"
    else:
        url = f"{base_url}/v3/users/physical-info"
    payload["timestamp"] = iso_z(now)
    payload["url"] = url
    return payload


class Pusher:
    """Sends pings and notices over one shared aiohttp session and logs every attempt."""

    def __init__(
        self,
        config: SimConfig,
        state_fn: Callable[[], SimState],
        clock: Clock,
        faults: Faults,
        on_change: Callable[[], None],
    ) -> None:
        """Wire the pusher to the simulator's state, clock and faults."""
        self.config = config
        self._state = state_fn
        self.clock = clock
        self.faults = faults
        self.on_change = on_change
        self.base_url = ""
        self.log: deque[dict[str, Any]] = deque(maxlen=config.delivery_log_size)
        self._log_ids = itertools.count(1)
        self._notice_ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: list[tuple[Webhook, dict[str, Any], int]] = []
        self._sem = asyncio.Semaphore(config.push_concurrency)
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def session(self) -> aiohttp.ClientSession:
        """Return the shared session, creating it on first use."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=max(self.config.push_concurrency, 8), force_close=False
            )
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def close(self) -> None:
        """Cancel pending deliveries and close the session."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def url_allowed(self, url: str) -> bool:
        """Tell whether pings and pushes may go to this URL."""
        return self.config.allow_remote_webhooks or is_loopback_url(url)

    def _record(self, **entry: Any) -> dict[str, Any]:
        """Append one entry to the delivery log."""
        entry = {"id": next(self._log_ids), "at": iso_z(self.clock.now(), millis=True), **entry}
        self.log.append(entry)
        return entry

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], limit_s: float
    ) -> tuple[int | None, str | None, float]:
        """POST once; return (status, error, latency in ms)."""
        started = time.perf_counter()
        try:
            async with self.session.post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=limit_s),
            ) as resp:
                await resp.read()
                status: int | None = resp.status
                error = None if resp.status == 200 else f"HTTP {resp.status}"
        except TimeoutError:
            status, error = None, "timeout"
        except (aiohttp.ClientError, OSError, ValueError) as err:
            status, error = None, f"{type(err).__name__}: {err}"
        return status, error, round((time.perf_counter() - started) * 1000, 3)

    async def ping(self, client_id: str, url: str) -> tuple[bool, str]:
        """Send PING and report whether the receiver answered 200."""
        if not self.url_allowed(url):
            return False, "webhook url must be a loopback address (see --allow-remote-webhooks)"
        body = encode({"event": "PING", "timestamp": iso_z(self.clock.now())})
        headers = {"Content-Type": "application/json", "Polar-Webhook-Event": "PING"}
        status, error, latency = await self._post(url, body, headers, self.config.ping_timeout)
        self._record(
            kind="ping",
            client_id=client_id,
            event="PING",
            url=url,
            attempt=1,
            status=status,
            ok=status == 200,
            error=error,
            latency_ms=latency,
            body=body.decode(),
        )
        return status == 200, error or "ok"

    def check_deactivation(self, webhook: Webhook) -> None:
        """Deactivate a webhook whose deliveries have failed for the configured period."""
        if (
            webhook.active
            and webhook.failing_since is not None
            and self.clock.now() - webhook.failing_since >= self.config.deactivate_after
        ):
            webhook.active = False
            _LOGGER.info(
                "Webhook %s of %s deactivated after failures", webhook.webhook_id, webhook.client_id
            )
            self._record(
                kind="deactivated",
                client_id=webhook.client_id,
                webhook_id=webhook.webhook_id,
                url=webhook.url,
                ok=False,
                error="no successful delivery within the deactivation period",
            )
            self.on_change()

    def targets(self, user_id: int, event: str) -> list[Webhook]:
        """Return the webhooks that should receive an event of this user."""
        state = self._state()
        out = []
        for webhook in state.webhooks.values():
            self.check_deactivation(webhook)
            if (
                webhook.active
                and event in webhook.events
                and state.registration(webhook.client_id, user_id) is not None
            ):
                out.append(webhook)
        return out

    def dispatch(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue a notice for every subscribed client of its user; return a summary."""
        notice_id = next(self._notice_ids)
        targets = self.targets(int(payload["user_id"]), str(payload["event"]))
        summary: dict[str, Any] = {"notice_id": notice_id, "clients": [], "faults": []}
        for webhook in targets:
            summary["clients"].append(webhook.client_id)
            rule = self.faults.take_delivery()
            fault = rule.kind if rule else None
            if fault:
                summary["faults"].append(fault)
            if fault == "drop":
                self._record(
                    kind="push",
                    notice_id=notice_id,
                    client_id=webhook.client_id,
                    webhook_id=webhook.webhook_id,
                    event=payload["event"],
                    user_id=payload["user_id"],
                    url=webhook.url,
                    attempt=0,
                    status=None,
                    ok=False,
                    error="dropped by fault injection",
                    fault="drop",
                    body=encode(payload).decode(),
                )
            elif fault == "reorder" and rule is not None:
                self._held.append((webhook, payload, notice_id))
                if rule.remaining <= 0:
                    self.flush_held()
            else:
                delay = rule.seconds if rule and fault == "delay" else 0.0
                copies = 2 if fault == "duplicate" else 1
                for _ in range(copies):
                    self._spawn(webhook, payload, notice_id, delay, fault)
        return summary

    def flush_held(self) -> int:
        """Deliver notices held for reordering, newest first; return how many."""
        held, self._held = self._held, []
        for webhook, payload, notice_id in reversed(held):
            self._spawn(webhook, payload, notice_id, 0.0, "reorder")
        return len(held)

    def _spawn(
        self,
        webhook: Webhook,
        payload: dict[str, Any],
        notice_id: int,
        delay: float,
        fault: str | None,
    ) -> None:
        """Start a delivery task."""
        task = asyncio.get_running_loop().create_task(
            self._deliver(webhook, payload, notice_id, delay, fault)
        )
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """Forget a finished task."""
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until no delivery is pending; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True

    @property
    def pending(self) -> int:
        """Return the number of deliveries in progress."""
        return len(self._tasks)

    def _current(self, webhook: Webhook) -> bool:
        """Tell whether the webhook still exists and is active."""
        now = self._state().webhooks.get(webhook.client_id)
        return now is not None and now.webhook_id == webhook.webhook_id and now.active

    async def _deliver(
        self,
        webhook: Webhook,
        payload: dict[str, Any],
        notice_id: int,
        delay: float,
        fault: str | None,
    ) -> None:
        """Deliver one notice to one webhook, retrying with backoff."""
        if delay:
            await asyncio.sleep(delay)
        body = encode(payload)
        delays = (0.0, *self.config.retry_delays)
        delivery = {
            "kind": "push",
            "notice_id": notice_id,
            "client_id": webhook.client_id,
            "webhook_id": webhook.webhook_id,
            "event": payload["event"],
            "user_id": payload["user_id"],
            "url": webhook.url,
            "fault": fault,
        }
        for attempt, wait in enumerate(delays, start=1):
            if wait:
                await asyncio.sleep(wait)
            if not self._current(webhook):
                self._record(
                    **delivery,
                    attempt=attempt,
                    status=None,
                    ok=False,
                    error="abandoned: webhook inactive or deleted",
                )
                return
            headers = {
                "Content-Type": "application/json",
                "Polar-Webhook-Event": str(payload["event"]),
                "Polar-Webhook-Signature": sign(webhook.secret, body),
            }
            async with self._sem:
                status, error, latency = await self._post(
                    webhook.url, body, headers, self.config.push_timeout
                )
            ok = status == 200
            self._record(
                **delivery,
                attempt=attempt,
                status=status,
                ok=ok,
                error=error,
                latency_ms=latency,
                body=body.decode(),
            )
            if ok:
                webhook.failing_since = None
                webhook.last_success_at = self.clock.now()
                return
            if webhook.failing_since is None:
                webhook.failing_since = self.clock.now()
            self.check_deactivation(webhook)
            _LOGGER.debug("Delivery %s attempt %s failed: %s", notice_id, attempt, error)

    async def burst(
        self,
        webhook: Webhook,
        user_ids: list[int],
        *,
        count: int,
        concurrency: int,
        rate: float,
        event: str,
    ) -> dict[str, Any]:
        """Push count signed notices as fast as allowed; report successes and latencies."""
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        counter = itertools.count()
        started = time.perf_counter()

        async def worker() -> None:
            """Send notices until the count is reached."""
            while (i := next(counter)) < count:
                if rate > 0:
                    delay = started + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                user_id = user_ids[i % len(user_ids)]
                payload = build_notice(
                    event,
                    user_id,
                    self.base_url,
                    self.clock.now(),
                    entity_id=f"burst{i:07d}",
                    date=iso_z(self.clock.now())[:10],
                    from_date=iso_z(self.clock.now())[:10],
                    to_date=iso_z(self.clock.now())[:10],
                )
                body = encode(payload)
                headers = {
                    "Content-Type": "application/json",
                    "Polar-Webhook-Event": event,
                    "Polar-Webhook-Signature": sign(webhook.secret, body),
                }
                status, error, latency = await self._post(
                    webhook.url, body, headers, self.config.push_timeout
                )
                latencies.append(latency)
                key = str(status) if status is not None else (error or "error").split(":")[0]
                statuses[key] = statuses.get(key, 0) + 1

        workers = max(1, min(concurrency, count))
        await asyncio.gather(*(worker() for _ in range(workers)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        ok = statuses.get("200", 0)
        self._record(
            kind="burst",
            client_id=webhook.client_id,
            webhook_id=webhook.webhook_id,
            event=event,
            url=webhook.url,
            ok=ok == count,
            sent=count,
            delivered=ok,
        )
        if ok:
            webhook.failing_since = None
            webhook.last_success_at = self.clock.now()
        return {
            "sent": count,
            "ok": ok,
            "failed": count - ok,
            "statuses": statuses,
            "seconds": round(elapsed, 4),
            "per_second": round(count / elapsed, 1) if elapsed > 0 else None,
            "latency_ms": _percentiles(latencies),
        }


def _percentiles(values: list[float]) -> dict[str, float | None]:
    """Return p50/p95/p99/max of sorted values."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}

    def pick(q: float) -> float:
        """Return the q-quantile (nearest rank)."""
        return values[min(len(values) - 1, int(q * len(values)))]

    return {"p50": pick(0.5), "p95": pick(0.95), "p99": pick(0.99), "max": values[-1]}
