"""Latency and throughput of whole turns over Rasa's REST channel."""

from __future__ import annotations

import asyncio
import time
import uuid
from functools import partial
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Sequence

import httpx

LATENCY_SHARES = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _conversation(client: httpx.AsyncClient, url: str, script: Sequence[str], latencies: List[float]) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for message in script:
        started = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": message})
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)


async def _in_parallel(jobs: Sequence[Callable[[], Awaitable[None]]], concurrency: int) -> float:
    """Runs ``jobs``, ``concurrency`` at a time; the wall-clock seconds it took."""
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def _latency_figures(latencies: Sequence[float]) -> Dict[str, float]:
    return {name: 1000 * percentile(latencies, share) for name, share in LATENCY_SHARES.items()}


async def run_load(rasa_url: str, script: Sequence[str], conversations: int, concurrency: int) -> Dict[str, float]:
    """``conversations`` runs of ``script``, ``concurrency`` at a time; figures in ms and turns/s."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    latencies: List[float] = []
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as client:
        await _conversation(client, url, script, [])  # warm-up
        jobs = [partial(_conversation, client, url, script, latencies) for _ in range(conversations)]
        elapsed = await _in_parallel(jobs, concurrency)
    return {"turns": len(latencies), "turns_per_second": len(latencies) / elapsed, **_latency_figures(latencies)}


async def parse_load(
    rasa_url: str, token: str, messages: Sequence[str], repeats: int, concurrency: int
) -> Dict[str, float]:
    """``/model/parse`` of every message ``repeats`` times, ``concurrency`` requests at a time."""
    url = f"{rasa_url}/model/parse?token={token}"
    latencies: List[float] = []

    async def parse(client: httpx.AsyncClient, message: str) -> None:
        started = time.perf_counter()
        (await client.post(url, json={"text": message})).raise_for_status()
        latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as client:
        (await client.post(url, json={"text": messages[0]})).raise_for_status()  # warm-up
        jobs = [partial(parse, client, message) for _ in range(repeats) for message in messages]
        elapsed = await _in_parallel(jobs, concurrency)
    return {
        "requests": len(latencies),
        "requests_per_second": len(latencies) / elapsed,
        **_latency_figures(latencies),
    }


async def timed_turns(rasa_url: str, turns: Sequence[Sequence[str]], repeats: int) -> Dict[str, float]:
    """Sequential latency of the last message of each short conversation (e.g. the one that writes a ticket)."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    latencies: List[float] = []
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(repeats):
            for script in turns:
                sender = f"bench-{uuid.uuid4().hex[:12]}"
                for message in script[:-1]:
                    (await client.post(url, json={"sender": sender, "message": message})).raise_for_status()
                started = time.perf_counter()
                (await client.post(url, json={"sender": sender, "message": script[-1]})).raise_for_status()
                latencies.append(time.perf_counter() - started)
    return {
        "turns": len(latencies),
        "p50_ms": 1000 * percentile(latencies, 0.5),
        "p95_ms": 1000 * percentile(latencies, 0.95),
    }


def _family(pid: int) -> List[int]:
    """``pid`` and its descendants (Sanic's worker processes), from /proc."""
    family = [pid]
    for process in family:
        for task in Path(f"/proc/{process}/task").glob("*/children"):
            family += [int(child) for child in task.read_text().split()]
    return family


def peak_memory_mb(pid: int) -> float:
    """The high-water resident memory (VmHWM) of the process and of its children, added up."""
    total = 0.0
    for member in _family(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
        except (OSError, StopIteration):
            continue  # gone since it was listed
    return total
