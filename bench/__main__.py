"""`make bench` (or `python -m bench --only nlu,speed`): prints one summary table,
writes every figure to results/bench.json.

Parts, in the order they run: nlu (quality on the held-out, independent and situations sets, and
the TF-IDF peer), train (training time of the project's model), speed (REST turns: sequential
latency, 32 concurrent conversations, memory), workers (the same with two Rasa processes and Redis
locks, when Redis answers), wechat (passive WeChat reply time, duplicate tickets under retried
MsgIds), retrieval (catalogue hit@1 / hit@3 and query latency on bench/questions), bare (Rasa's
stock pipeline and policies trained on our data: scored as the stock NLU peer, then served as the
bare server of the speed ratios; see bench/bare.py), cv (5-fold cross-validation of the project's
pipeline), cais (the project's components on the public CAIS benchmark: bench/cais.py), safety
(emergency recall and false alarms on bench/situations: bench/safety.py) and consult (service
questions phrased as needs, through the NLU and the answer: bench/consult.py). `make
bench` runs them all; `--only` picks some, and `--only moodbot` (or `--all`) adds the `rasa init`
moodbot served bare, the yardstick of issue 2; `--only faults` measures the channels' safety net under
faults (bench/faults.py: the hotline with a hung action server, a 100k-character message).
Pictures (confusion matrices, per-intent F1) are written as PNG next to the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Tuple

from bench.load import parse_load, peak_memory_mb, run_load, timed_turns
from bench.stack import running_stack, stop, wait_healthy
from bot.runner import ROOT, Service, free_port
from bot.settings import rasa_api_token

logger = logging.getLogger("bench")
PARTS = ("nlu", "train", "speed", "workers", "wechat", "retrieval", "bare", "cv", "cais", "safety", "consult")
EXTRA_PARTS = ("moodbot", "faults")
RESULTS = ROOT / "results"
# Wall-clock seconds of each part of the run; the run took their sum.
PART_SECONDS = "part_seconds"
MODEL = ROOT / "models" / "current.tar.gz"
PYTHON = sys.executable
# A conversation that reads the knowledge base and writes a ticket.
SCRIPT = ["你好", "小区北门的路灯不亮了，晚上太黑", "北门", "匿名", "高龄津贴怎么申请"]
TICKET_TURN = [["小区北门的路灯不亮了，晚上太黑", "北门", "匿名"]]
KB_TURN = [["高龄津贴怎么申请"]]
BARE_SCRIPT = ["hello", "I am very sad", "yes", "great, bye"]
CONVERSATIONS = 64
CONCURRENCY = 32


def bench_nlu() -> Dict[str, Any]:
    from rasa.core.agent import Agent

    from bench.nlu import TEST_SETS, evaluate, generalisation_gap, tfidf_baseline

    agent = Agent.load(str(MODEL))
    results: Dict[str, Any] = evaluate(agent, TEST_SETS["heldout"])
    results["independent"] = evaluate(agent, TEST_SETS["independent"])
    results["situations"] = evaluate(agent, TEST_SETS["situations"])
    results["situations_gap"] = generalisation_gap(results, results["situations"])
    results["tfidf_baseline"] = tfidf_baseline()
    return results


def bench_cv() -> Dict[str, Any]:
    from bench.peers import cross_validation

    return cross_validation()


def bench_cais() -> Dict[str, Any]:
    from bench.cais import run_in_subprocess

    return run_in_subprocess()


def bench_safety() -> Dict[str, Any]:
    from bench.safety import evaluate

    return evaluate(MODEL)


def draw_charts(results: Dict[str, Any], folder: Path) -> List[Path]:
    """The PNGs of whatever the run measured."""
    from bench.charts import confusion_png, per_intent_png

    drawn: List[Path] = []
    nlu = results.get("nlu")
    if nlu:
        drawn.append(confusion_png(nlu["confusion_matrix"], "intents, held-out set", folder / "confusion_heldout.png"))
        independent = nlu["independent"]["confusion_matrix"]
        drawn.append(confusion_png(independent, "intents, independent set", folder / "confusion_independent.png"))
        if "situations" in nlu:
            situations = nlu["situations"]["confusion_matrix"]
            drawn.append(confusion_png(situations, "intents, situations set", folder / "confusion_situations.png"))
    series = {}
    if nlu:
        series = {"held-out": nlu["per_intent_f1"], "independent": nlu["independent"]["per_intent_f1"]}
        if "situations" in nlu:
            series["situations"] = nlu["situations"]["per_intent_f1"]
    if results.get("cv"):
        series["5-fold CV (mean)"] = results["cv"]["per_intent_f1"]
    if series:
        drawn.append(per_intent_png(series, "intent F1 of the project's pipeline", folder / "per_intent_f1.png"))
    return drawn


def bench_train() -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [
                PYTHON,
                "-m",
                "bot.rasa_cli",
                "train",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                out,
                "--force",
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        size = sum(path.stat().st_size for path in Path(out).glob("*.tar.gz"))
    return {"training_seconds": seconds, "model_mb": size / 2**20}


def bench_speed(**overrides: Any) -> Dict[str, Any]:
    """The project as `make run` starts it (with ``overrides`` of its settings), measured over REST."""
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_stack(Path(workdir), model_path=str(MODEL), **overrides) as (
            settings,
            running,
        ),
    ):
        cold_start = time.perf_counter() - started
        sequential = asyncio.run(run_load(settings.rasa_url, SCRIPT, conversations=20, concurrency=1))
        ticket_turn = asyncio.run(timed_turns(settings.rasa_url, TICKET_TURN, repeats=20))
        kb_turn = asyncio.run(timed_turns(settings.rasa_url, KB_TURN, repeats=40))
        concurrent = asyncio.run(run_load(settings.rasa_url, SCRIPT, CONVERSATIONS, CONCURRENCY))
        parse = _parse_figures(settings.rasa_url, rasa_api_token(settings))
        memory = {service.name: peak_memory_mb(service.process.pid) for service in running}
    return {
        "cold_start_seconds": cold_start,
        "sequential": sequential,
        "ticket_writing_turn": ticket_turn,
        "knowledge_base_turn": kb_turn,
        "concurrent_32": concurrent,
        "parse": parse,
        "peak_memory_mb": memory,
    }


def _parse_figures(rasa_url: str, token: str) -> Dict[str, Any]:
    """``/model/parse`` over HTTP: one request at a time, and 32 at a time."""
    return {
        "sequential": asyncio.run(parse_load(rasa_url, token, SCRIPT, repeats=20, concurrency=1)),
        "concurrent_32": asyncio.run(parse_load(rasa_url, token, SCRIPT, repeats=40, concurrency=CONCURRENCY)),
    }


def bench_workers() -> Dict[str, Any]:
    """The same measurements with two Rasa processes sharing their conversation locks in Redis."""
    import redis

    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return {"skipped": f"no Redis at {url}: {error}"}
    return {"rasa_workers": 2, **bench_speed(rasa_workers=2, rasa_lock_store_url=url)}


def _serve_bare(project: Path, script: List[str], workdir: Path) -> Dict[str, Any]:
    """Serve the model trained in ``project`` with plain `rasa run` and measure it like ours."""
    port = free_port()
    token = secrets.token_urlsafe(32)  # its API is closed too, like ours (bot.rasa_cli passes it to Rasa)
    server = Service(
        f"bare-{project.name}",
        [PYTHON, "-m", "bot.rasa_cli", "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port)]
        + ["--model", "models"],
        f"http://127.0.0.1:{port}/webhooks/rest/",
        env={"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "RASA_API_TOKEN": token},
        cwd=project,
    )
    server.start(workdir)
    try:
        wait_healthy([server])
        url = f"http://127.0.0.1:{port}"
        return {
            "sequential": asyncio.run(run_load(url, script, conversations=20, concurrency=1)),
            "concurrent_32": asyncio.run(run_load(url, script, CONVERSATIONS, CONCURRENCY)),
            "parse": _parse_figures(url, token),
            "peak_memory_mb": peak_memory_mb(server.process.pid),
        }
    finally:
        stop([server])


def bench_bare() -> Dict[str, Any]:
    """Rasa's stock pipeline and policies on our data (bench/bare.py): its training time, its
    intents on our test sets (the stock NLU peer), then the same model served bare."""
    from rasa.core.agent import Agent

    from bench import bare
    from bench.nlu import TEST_SETS, evaluate

    with tempfile.TemporaryDirectory() as workdir:
        project = Path(workdir) / "same_data"
        bare.same_data(project)
        results: Dict[str, Any] = bare.train(project)
        agent = Agent.load(str(next((project / "models").glob("*.tar.gz"))))
        for name, path in TEST_SETS.items():
            scored = evaluate(agent, path)
            results[name] = {key: scored[key] for key in ("intent_macro_f1", "intent_accuracy", "parse_p95_ms")}
            results[name]["entity_f1"] = scored["entities"]["f1"]
        del agent  # its model's memory back before the server loads the same model
        results.update(_serve_bare(project, SCRIPT, Path(workdir)))
    return {"same_data": results}


def bench_moodbot() -> Dict[str, Any]:
    """The `rasa init` moodbot, trained as shipped and served bare."""
    from bench import bare

    with tempfile.TemporaryDirectory() as workdir:
        project = Path(workdir) / "moodbot"
        bare.moodbot(project)
        return {**bare.train(project), **_serve_bare(project, BARE_SCRIPT, Path(workdir))}


def bench_wechat() -> Dict[str, Any]:
    from bench.wechat import bench_wechat as run

    return run(MODEL)


def bench_faults() -> Dict[str, Any]:
    from bench.faults import bench_faults as run

    return run(MODEL)


def bench_retrieval() -> Dict[str, Any]:
    from bench.retrieval import evaluate

    return evaluate()


def bench_consult() -> Dict[str, Any]:
    from bench.consult import evaluate

    return evaluate(MODEL)


def machine() -> Dict[str, Any]:
    """The processor the figures were measured on, as /proc/cpuinfo names it.

    The same parts on the project's 2-core machines have taken from 19 to 62 minutes, the stock
    training from 373 to 1,578 s, with the processor; so every run records which one it had.
    """
    fields: Dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return {
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "cpu": fields.get("model name", platform.processor() or "unknown"),
        "family_model": f"{fields.get('cpu family', '?')}/{fields.get('model', '?')}",
        "avx512": "avx512f" in fields.get("flags", "").split(),
    }


def _percentiles(figures: Dict[str, float]) -> str:
    return " / ".join(f"{figures[key]:.0f}" for key in ("p50_ms", "p95_ms", "p99_ms"))


def peers_table(results: Dict[str, Any]) -> List[str]:
    """The NLU peers side by side: the project's pipeline, Rasa's `rasa init` one, TF-IDF + LR."""
    nlu, train = results.get("nlu"), results.get("train")
    stock = (results.get("bare") or {}).get("same_data")
    if not nlu:
        return []
    peers = [("project pipeline", nlu, nlu["independent"], train["training_seconds"] if train else None)]
    situations = [("project pipeline", nlu.get("situations"))]
    if stock:
        peers.append(("rasa init pipeline", stock["heldout"], stock["independent"], stock["training_seconds"]))
        situations.append(("rasa init pipeline", stock.get("situations")))
    baseline = nlu["tfidf_baseline"]
    peers.append(("jieba + TF-IDF + LR", baseline["heldout"], baseline["independent"], baseline["training_seconds"]))
    situations.append(("jieba + TF-IDF + LR", baseline.get("situations")))
    # Training: `rasa train` of the whole assistant for the first two (NLU and dialogue), the
    # classifier's fit for the last.
    lines = ["  NLU peers, same data: macro-F1 / accuracy held-out | independent | training s | parse p95 ms"]
    for name, heldout, independent, seconds in peers:
        trained = f"{seconds:.0f}" if seconds is not None else "-"
        lines.append(
            f"    {name:20s} {heldout['intent_macro_f1']:.3f} / {heldout['intent_accuracy']:.3f}"
            f" | {independent['intent_macro_f1']:.3f} / {independent['intent_accuracy']:.3f}"
            f" | {trained:>5s} | {heldout['parse_p95_ms']:.1f}"
        )
    # The situations set (bench/situations), for results that have it.
    scored = [(name, figures) for name, figures in situations if figures]
    if scored:
        lines.append("  NLU peers on the situations set: macro-F1 / accuracy")
        lines += [
            f"    {name:20s} {figures['intent_macro_f1']:.3f} / {figures['intent_accuracy']:.3f}"
            for name, figures in scored
        ]
    return lines


def situations_rows(nlu: Dict[str, Any]) -> List[Tuple[str, str]]:
    """The situations set (bench/situations) beside the other two, and how far the held-out
    figure overstates it; nothing for results from before the set existed."""
    from bench.nlu import GAP_TARGET

    situations = nlu.get("situations")
    if not situations:
        return []
    entities = situations["entities"]
    return [
        ("intent macro-F1 (situations set, never seen)", f"{situations['intent_macro_f1']:.3f}"),
        ("intent accuracy (situations set)", f"{situations['intent_accuracy']:.3f}"),
        ("entity F1 exact / overlap (situations set)", f"{entities['f1']:.3f} / {entities['overlap']['f1']:.3f}"),
        (f"gap: held-out - situations macro-F1 (target <= {GAP_TARGET})", f"{nlu['situations_gap']:+.3f}"),
    ]


def consult_rows(consult: Dict[str, Any] | None) -> List[tuple]:
    """Service questions through the NLU and the answer (bench/consult.py), and bench/questions the same way."""
    rows: List[tuple] = []
    for key, label in (("service_questions", "service questions"), ("questions", "bench/questions")):
        figures = (consult or {}).get(key)
        if not figures:
            continue
        if "skipped" in figures:
            rows.append((f"{label}: answered from the catalogue", figures["skipped"]))
            continue
        rows += [
            (
                f"{label}: answered with the entry (target >= 0.90) / hit@3",
                f"{figures['answered']:.3f} / {figures['hit_at_3']:.3f}",
            ),
            (
                f"{label}: form or ticket started (target 0)",
                f"{figures['form_or_ticket']:.3f} ({figures['form_or_ticket_count']} of {figures['situations']})",
            ),
        ]
    return rows


def summary(results: Dict[str, Any]) -> str:
    rows = []
    nlu = results.get("nlu")
    if nlu:
        rows += [
            ("intent macro-F1 (held-out, target >= 0.95)", f"{nlu['intent_macro_f1']:.3f}"),
            ("intent accuracy (held-out)", f"{nlu['intent_accuracy']:.3f}"),
            ("entity F1, exact spans (held-out)", f"{nlu['entities']['f1']:.3f}"),
            ("intent macro-F1 (independent set, never seen)", f"{nlu['independent']['intent_macro_f1']:.3f}"),
            ("intent accuracy (independent set)", f"{nlu['independent']['intent_accuracy']:.3f}"),
            (
                "entity F1 exact / overlap (independent set)",
                f"{nlu['independent']['entities']['f1']:.3f} / {nlu['independent']['entities']['overlap']['f1']:.3f}",
            ),
            ("/model/parse in-process p50 / p95 ms", f"{nlu['parse_p50_ms']:.1f} / {nlu['parse_p95_ms']:.1f}"),
        ]
        rows += situations_rows(nlu)
    cv = results.get("cv")
    if cv:
        rows += [
            (
                f"{cv['folds']}-fold CV intent macro-F1 / accuracy (mean ± sd)",
                f"{cv['intent_macro_f1']['mean']:.3f} ± {cv['intent_macro_f1']['stdev']:.3f}"
                f" / {cv['intent_accuracy']['mean']:.3f} ± {cv['intent_accuracy']['stdev']:.3f}",
            ),
            (
                f"{cv['folds']}-fold CV entity F1 exact / overlap (mean)",
                f"{cv['entity_f1']['mean']:.3f} / {cv['entity_f1_overlap']['mean']:.3f}",
            ),
        ]
    cais = results.get("cais")
    if cais:
        rows += [
            (
                "CAIS test: intent accuracy / slot F1 (CM-Net 94.56 / 86.16)",
                f"{100 * cais['intent_accuracy']:.2f} / {100 * cais['slots']['f1']:.2f}",
            ),
            ("CAIS: training seconds (target <= 900)", f"{cais['training_seconds']:.0f}"),
        ]
    train = results.get("train")
    if train:
        rows += [
            ("training seconds (target <= 300)", f"{train['training_seconds']:.0f}"),
            ("model size MB", f"{train['model_mb']:.1f}"),
        ]
    speed = results.get("speed")
    if speed:
        rows += [
            ("cold start to healthy, seconds", f"{speed['cold_start_seconds']:.1f}"),
            (
                "turn p50 / p95 / p99 ms, sequential (target p95 <= 150)",
                _percentiles(speed["sequential"]),
            ),
            (
                "ticket-writing turn p50 / p95 ms",
                f"{speed['ticket_writing_turn']['p50_ms']:.0f} / {speed['ticket_writing_turn']['p95_ms']:.0f}",
            ),
            (
                "knowledge-base turn p50 / p95 ms",
                f"{speed['knowledge_base_turn']['p50_ms']:.0f} / {speed['knowledge_base_turn']['p95_ms']:.0f}",
            ),
            ("32 concurrent: turns/s", f"{speed['concurrent_32']['turns_per_second']:.1f}"),
            ("32 concurrent: turn p50 / p95 / p99 ms", _percentiles(speed["concurrent_32"])),
            ("/model/parse over HTTP p50 / p95 / p99 ms, sequential", _percentiles(speed["parse"]["sequential"])),
            ("/model/parse over HTTP p50 / p95 / p99 ms, 32 at a time", _percentiles(speed["parse"]["concurrent_32"])),
            (
                "/model/parse over HTTP, 32 at a time: requests/s",
                f"{speed['parse']['concurrent_32']['requests_per_second']:.0f}",
            ),
            (
                "peak memory MB (rasa / actions / staff)",
                " / ".join(f"{speed['peak_memory_mb'][n]:.0f}" for n in ("rasa", "actions", "staff")),
            ),
        ]
    workers = results.get("workers")
    if workers and "skipped" in workers:
        rows.append(("2 Rasa workers + Redis lock store", workers["skipped"]))
    elif workers:
        rows += [
            (
                "2 Rasa workers: turn p50 / p95 ms, sequential",
                f"{workers['sequential']['p50_ms']:.0f} / {workers['sequential']['p95_ms']:.0f}",
            ),
            ("2 Rasa workers: 32 concurrent turns/s", f"{workers['concurrent_32']['turns_per_second']:.1f}"),
            ("2 Rasa workers: 32 concurrent p95 ms", f"{workers['concurrent_32']['p95_ms']:.0f}"),
        ]
    yardsticks = {"same_data": (results.get("bare") or {}).get("same_data"), "moodbot": results.get("moodbot")}
    for name, label in (("same_data", "bare Rasa, our data"), ("moodbot", "bare rasa init moodbot")):
        figures = yardsticks[name]
        if not figures:
            continue
        rows += [
            (
                f"{label}: p95 ms sequential / 32 concurrent",
                f"{figures['sequential']['p95_ms']:.0f} / {figures['concurrent_32']['p95_ms']:.0f}",
            ),
            (f"{label}: 32 concurrent turns/s", f"{figures['concurrent_32']['turns_per_second']:.1f}"),
            (f"{label}: /model/parse p95 ms sequential", f"{figures['parse']['sequential']['p95_ms']:.0f}"),
            (f"{label}: peak memory MB", f"{figures['peak_memory_mb']:.0f}"),
        ]
        if speed:
            ratio = speed["concurrent_32"]["turns_per_second"] / figures["concurrent_32"]["turns_per_second"]
            p95_ratio = speed["concurrent_32"]["p95_ms"] / figures["concurrent_32"]["p95_ms"]
            rows += [
                (f"  ours / {label}: throughput (target >= 0.7)", f"{ratio:.2f}"),
                (f"  ours / {label}: 32-concurrent p95 (target <= 1.5)", f"{p95_ratio:.2f}"),
            ]
    wechat = results.get("wechat")
    if wechat:
        passive, burst = wechat["passive_reply"], wechat["retried_burst"]
        rows += [
            (
                "WeChat passive reply p50 / p95 ms (target p95 <= 300)",
                f"{passive['p50_ms']:.0f} / {passive['p95_ms']:.0f}",
            ),
            ("WeChat duplicate tickets, burst of retried MsgIds (target 0)", str(burst["duplicate_tickets"])),
        ]
    retrieval = results.get("retrieval")
    if retrieval:
        rows += [
            (
                "retrieval hit@1 / hit@3 (targets >= 0.90 / 0.97)",
                f"{retrieval['hit_at_1']:.3f} / {retrieval['hit_at_3']:.3f}",
            ),
            (
                "retrieval query p50 / p95 ms (target p95 <= 5; CPU-time p95)",
                f"{retrieval['latency_p50_ms']:.2f} / {retrieval['latency_p95_ms']:.2f}"
                f" ({retrieval['latency_cpu_p95_ms']:.2f})",
            ),
        ]
    faults = results.get("faults")
    if faults:
        hung, long = faults["hung_action_server"], faults["long_message"]
        rows += [
            (
                "hung action server: hotline REST / WeChat max s (target <= 2)",
                f"{hung['rest_hotline_max_s']:.2f} / {hung['wechat_hotline_max_s']:.2f}",
            ),
            ("hung action server: an ordinary answer max s", f"{hung['ordinary_answer_max_s']:.2f}"),
            (
                "100k-character message: answer p50 / max s (target <= 1; its first 500 characters: p50)",
                f"{long['answer_p50_s']:.2f} / {long['answer_max_s']:.2f} ({long['same_text_already_cut_p50_s']:.2f})",
            ),
            ("  a neighbour's turn slowed, p50 ms (target <= 200)", f"{long['neighbour_slowdown_p50_ms']:.0f}"),
        ]
    if results.get("safety"):
        from bench.safety import summary_rows

        rows += summary_rows(results["safety"])

    rows += consult_rows(results.get("consult"))
    seconds = results.get(PART_SECONDS)
    if seconds:
        # The budget is the whole `make bench`; each part's share shows where it goes.
        parts = ", ".join(f"{part} {value / 60:.1f}" for part, value in seconds.items())
        rows.append(("minutes of this run (target <= 20 in all)", f"{sum(seconds.values()) / 60:.1f} ({parts})"))
    width = max(len(label) for label, _ in rows) if rows else 0
    # A run's own record of its processor; results from before it was recorded do not borrow this machine's.
    cpu = results.get("machine")
    where = (
        f"{cpu['arch']}, {cpu['cores']} cores, {cpu['cpu']}"
        f" (family/model {cpu['family_model']}, AVX-512 {'yes' if cpu['avx512'] else 'no'})"
        if cpu
        else f"{platform.machine()}, {os.cpu_count()} cores, processor not recorded"
    )
    header = f"社区通 benchmark, {datetime.now():%Y-%m-%d %H:%M}, {where}"
    table = [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join([header, *table, *peers_table(results)])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {PARTS + EXTRA_PARTS}")
    parser.add_argument("--all", action="store_true", help=f"every part, {', '.join(EXTRA_PARTS)} too")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON, summary and PNGs")
    args = parser.parse_args()
    folder: Path = args.results.resolve()
    parts = list(PARTS + EXTRA_PARTS) if args.all else [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(parts) - set(PARTS + EXTRA_PARTS)
    if unknown:
        parser.error(f"unknown parts: {sorted(unknown)}")
    logging.basicConfig(level=logging.WARNING)
    # Models loaded in this process would otherwise print a debug line per parsed message.
    from rasa.utils.log_utils import configure_structlog

    from bench.cais import without_training_cache

    configure_structlog(logging.WARNING)
    runners = {
        "nlu": bench_nlu,
        "cv": bench_cv,
        "cais": bench_cais,
        "train": bench_train,
        "speed": bench_speed,
        "workers": bench_workers,
        "bare": bench_bare,
        "moodbot": bench_moodbot,
        "wechat": bench_wechat,
        "retrieval": bench_retrieval,
        "faults": bench_faults,
        "safety": bench_safety,
        "consult": bench_consult,
    }
    results: Dict[str, Any] = {"machine": machine()}
    folder.mkdir(parents=True, exist_ok=True)
    # Every training here is timed from scratch (the CV folds would share featurizers, a rerun
    # everything); the training subprocesses inherit the setting.
    with without_training_cache():
        for part in parts:
            print(f"… {part}", flush=True)
            started = time.perf_counter()
            results[part] = runners[part]()
            results.setdefault(PART_SECONDS, {})[part] = time.perf_counter() - started
            # Written after every part: a later part that fails loses none of the earlier figures.
            (folder / "bench.json").write_text(
                json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
    table = summary(results)
    (folder / "summary.txt").write_text(table + "\n", encoding="utf-8")
    print(table)
    for path in draw_charts(results, folder):
        print(f"  picture: {path}")
    if "nlu" in results:
        print("  most frequent intent confusions (gold -> predicted, count):", results["nlu"]["confusions"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
