"""Load benchmark: the real stack (Rasa server + action server) over the REST channel.

`make bench-load` starts both servers on loopback with an SQL tracker store (SQLite
unless AMO_TRACKER_* say otherwise), then runs, bounded in count and time:
- N concurrent conversations (N = 1, 8, 32 by default) that mix the four input
  languages and real flows (knowledge questions, the eligibility form, the desk
  question, file-status look-ups with demo identities when the file-status form
  exists in the domain);
- one conversation of 200 turns, to show the time per turn by turn index.
It prints p50/p95/p99 per turn, throughput, errors, the servers' memory (RSS) and the
CPU time the servers spent per turn. On a shared 2-core machine throughput swings by
half from one hour to the next (CPU steal); CPU time per turn is the steadier figure to
compare two versions with.
`--url` drives an already running deployment instead (for example two Rasa
instances behind a load balancer); only loopback addresses are accepted.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence
from urllib.parse import urlparse

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Real flows, one list of member messages per scenario, in the four input languages.
SCENARIOS: Dict[str, List[str]] = {
    "knowledge-fr": [
        "Bonjour",
        "c'est quoi l'AMO exactement ?",
        "comment je m'inscris ?",
        "quels papiers il faut ?",
        "combien je dois payer par mois ?",
        "merci beaucoup",
    ],
    "knowledge-ar": [
        "السلام عليكم",
        "ما هو التأمين الإجباري الأساسي عن المرض؟",
        "كيف أصرح بزوجتي وأبنائي؟",
        "متى تبدأ التغطية بعد التسجيل؟",
        "شكرا جزيلا",
    ],
    "eligibility-dar": [
        "سلام",
        "واش أنا معني ب AMO؟",
        '/inform{"profession":"trader"}',
        "/affirm",
        "شحال خاصني نخلص؟",
    ],
    "eligibility-latn": [
        "salam",
        "ana mol hanout wach khassni ntsjl f amo?",
        "ah",
        "fin nmchi nsjl f settat?",
        "choukran",
    ],
    "mixed": [
        "slt, wach AMO kat3awd l'dentiste?",
        "et pour mes enfants ?",
        "kifach n9der nkhless les cotisations?",
        "bslama",
    ],
}
FILE_STATUS_SCENARIO = ["بغيت نعرف فين وصل الملف ديالي", "{identifier}", "{birth_date}", "merci"]


@dataclass
class Turn:
    index: int
    seconds: float
    ok: bool


@dataclass
class Run:
    label: str
    turns: List[Turn] = field(default_factory=list)
    wall: float = 0.0
    cpu_seconds: Dict[str, float] = field(default_factory=dict)  # by server, during the run

    def latencies_ms(self, turns: Optional[Sequence[Turn]] = None) -> List[float]:
        return sorted(t.seconds * 1000 for t in (self.turns if turns is None else turns) if t.ok)

    @property
    def errors(self) -> int:
        return sum(not t.ok for t in self.turns)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def scenario_cycle(with_file_status: bool) -> Iterator[List[str]]:
    flows = list(SCENARIOS.values())
    if with_file_status:
        from actions.members.demo import DEMO_MEMBERS  # the synthetic demo identities

        for member in DEMO_MEMBERS[:3]:
            flows.append([m.format(identifier=member.cin, birth_date=member.birth_date.strftime("%d/%m/%Y"))
                          for m in FILE_STATUS_SCENARIO])
    return itertools.cycle(flows)


async def conversation(session: aiohttp.ClientSession, url: str, sender: str, messages: Sequence[str],
                       run: Run, deadline: float) -> None:
    for index, text in enumerate(messages, start=1):
        if time.monotonic() > deadline:
            return
        started = time.monotonic()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as response:
                body = await response.json(content_type=None)
                ok = response.status == 200 and isinstance(body, list)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            ok = False
        run.turns.append(Turn(index, time.monotonic() - started, ok))


async def concurrent_load(base_urls: Sequence[str], concurrency: int, turns_each: int, flows: Iterator[List[str]],
                          time_limit: float) -> Run:
    run = Run(f"{concurrency} concurrent")
    deadline = time.monotonic() + time_limit
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def member(number: int) -> None:
            messages = list(itertools.islice(itertools.chain.from_iterable(flows), turns_each))
            url = base_urls[number % len(base_urls)] + "/webhooks/rest/webhook"
            await conversation(session, url, f"load-{concurrency}-{number}-{time.time_ns()}", messages, run, deadline)

        started = time.monotonic()
        await asyncio.gather(*(member(n) for n in range(concurrency)))
        run.wall = time.monotonic() - started
    return run


def in_process_floor(model: Path, actions_url: str, turns: int, with_file_status: bool) -> Run:
    """The same flows through Rasa's Agent in this process: no HTTP, no SQL, no lock."""
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    import bot.server  # noqa: F401  (installs our Rasa patches, as the server does)

    agent = Agent.load(str(model), action_endpoint=EndpointConfig(actions_url))
    messages = list(itertools.islice(itertools.chain.from_iterable(scenario_cycle(with_file_status)), turns))
    run = Run("in-process floor")

    async def converse(sender: str) -> None:
        started = time.monotonic()
        for index, text in enumerate(messages, start=1):
            turn_started = time.monotonic()
            replies = await agent.handle_text(text, sender_id=sender)
            run.turns.append(Turn(index, time.monotonic() - turn_started, replies is not None))
        run.wall = time.monotonic() - started

    asyncio.run(converse(f"floor-{time.time_ns()}"))
    return run


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) and its children, from /proc."""
    total = 0
    for proc in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> List[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found] + [grand for child in found for grand in _children(int(child))]


def report(runs: Sequence[Run], servers: Dict[str, int]) -> None:
    print("\n| load | turns | errors | p50 ms | p95 ms | p99 ms | turns/s |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        values = run.latencies_ms()
        rate = len(values) / run.wall if run.wall else float("nan")
        print(f"| {run.label} | {len(run.turns)} | {run.errors} | {percentile(values, 50):.0f} | "
              f"{percentile(values, 95):.0f} | {percentile(values, 99):.0f} | {rate:.1f} |")
    measured = [run for run in runs if run.cpu_seconds and run.turns]
    if measured:
        print("\nServer CPU time per turn (ms; all instances of a kind together)")
        kinds = sorted({_kind(name) for run in measured for name in run.cpu_seconds})
        print("| load | " + " | ".join(kinds) + " |")
        print("|---|" + "---|" * len(kinds))
        for run in measured:
            spent = {kind: 0.0 for kind in kinds}
            for name, seconds in run.cpu_seconds.items():
                spent[_kind(name)] += seconds
            print(f"| {run.label} | " + " | ".join(f"{1000 * spent[k] / len(run.turns):.1f}" for k in kinds) + " |")
    if servers:
        print("\nServer memory (RSS): " + ", ".join(f"{name} {rss_mb(pid):.0f} MB" for name, pid in servers.items()))


def _kind(server: str) -> str:
    """"rasa server 2" -> "rasa server": the instances of one kind are summed."""
    return server.rsplit(" ", 1)[0]


def report_by_turn_index(run: Run, bucket: int = 25) -> None:
    print(f"\nOne conversation of {len(run.turns)} turns: time per turn by turn index")
    print("| turns | median ms | mean ms |")
    print("|---|---|---|")
    first = None
    for start in range(1, len(run.turns) + 1, bucket):
        values = run.latencies_ms([t for t in run.turns if start <= t.index < start + bucket])
        if not values:
            continue
        median = statistics.median(values)
        first = first or median
        print(f"| {start}-{start + bucket - 1} | {median:.0f} | {statistics.mean(values):.0f} |")
    last = run.latencies_ms([t for t in run.turns if t.index > len(run.turns) - bucket])
    if first and last:
        print(f"Last {bucket} turns / first {bucket}: {statistics.median(last) / first:.2f}x")


class Stack:
    """N action servers + N Rasa servers on loopback, with an SQL tracker store.

    Several instances need shared stores: AMO_ENDPOINTS=deploy/endpoints.yml
    (PostgreSQL + Redis lock store, variables in deploy/production.env)."""

    def __init__(self, model: Path, instances: int, port: int = 5105) -> None:
        self.model, self.instances, self.port = model, instances, port
        self.workdir = Path(tempfile.mkdtemp(prefix="amo-bench-"))
        self.processes: Dict[str, subprocess.Popen] = {}

    @property
    def urls(self) -> List[str]:
        return [f"http://127.0.0.1:{self.port + i}" for i in range(self.instances)]

    @property
    def actions_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{self.port + 50 + i}/webhook" for i in range(self.instances)]

    def __enter__(self) -> "Stack":
        """Starts every server; if one fails to start, stops those already started
        (Python calls __exit__ only after a successful __enter__)."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "Stack":
        # `rasa run --model` with a missing file silently serves the newest model in models/.
        if not self.model.is_file():
            raise SystemExit(f"no model at {self.model}: make train")
        endpoints_file = os.environ.get("AMO_ENDPOINTS", "endpoints.yml")
        if self.instances > 1 and "lock_store" not in (ROOT / endpoints_file).read_text():
            raise SystemExit("several instances need a shared lock store: AMO_ENDPOINTS=deploy/endpoints.yml")
        env = {**os.environ, "SANIC_HOST": "127.0.0.1"}
        log = (self.workdir / "servers.log").open("w")
        (ROOT / "var").mkdir(exist_ok=True)
        for i in range(self.instances):
            actions_port = self.port + 50 + i
            # ${VARIABLES} (deploy/endpoints.yml) are filled in from the environment.
            endpoints = yaml.safe_load(os.path.expandvars((ROOT / endpoints_file).read_text()))
            endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{actions_port}/webhook"}
            tracker_store = endpoints.get("tracker_store") or {}
            if tracker_store.get("dialect") == "sqlite":  # a fresh file per run
                tracker_store["db"] = str(self.workdir / "trackers.db")
            path = self.workdir / f"endpoints{i}.yml"
            path.write_text(yaml.safe_dump(endpoints))
            self.processes[f"action server {i + 1}"] = subprocess.Popen(
                [RASA, "run", "actions", "--actions", "actions", "--port", str(actions_port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            self.processes[f"rasa server {i + 1}"] = subprocess.Popen(
                [RASA, "run", "--model", str(self.model), "--interface", "127.0.0.1", "--port", str(self.port + i),
                 "--endpoints", str(path), "--credentials", "credentials.yml"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for url in self.urls:
            self._wait(f"{url}/webhooks/rest/")
        return self

    def _wait(self, url: str, timeout: float = 300) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"the {name} stopped; see {self.workdir / 'servers.log'}")
            try:
                urllib.request.urlopen(url, timeout=2)
                return
            except OSError:
                time.sleep(1)
        raise SystemExit(f"{url} did not answer within {timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops every server started, killing one that does not stop within 60 s."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for name, process in self.processes.items():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                print(f"the {name} did not stop within 60 s: killed", file=sys.stderr)
                process.kill()
                process.wait(timeout=10)

    @property
    def pids(self) -> Dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="base URL of a running Rasa server (repeatable)")
    parser.add_argument("--model", default=str(ROOT / "models" / "amo.tar.gz"))
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--turns", type=int, default=40, help="turns per conversation in the concurrent runs")
    parser.add_argument("--long", type=int, default=200, help="turns of the one long conversation (0: skip)")
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per run, at most")
    parser.add_argument("--instances", type=int, default=1, help="Rasa + action servers to start (shared stores)")
    args = parser.parse_args(argv)

    for url in args.url or []:
        if urlparse(url).hostname not in LOOPBACK:
            parser.error(f"{url}: the load generator only drives loopback addresses")
    domain = yaml.safe_load((ROOT / "domain" / "core.yml").read_text(encoding="utf-8"))
    with_file_status = "file_status_form" in (domain.get("forms") or {})

    def run_all(urls: Sequence[str], servers: Dict[str, int]) -> None:
        runs = []
        for concurrency in args.concurrency:
            flows = scenario_cycle(with_file_status)
            before = {name: cpu_seconds(pid) for name, pid in servers.items()}
            runs.append(asyncio.run(concurrent_load(urls, concurrency, args.turns, flows, args.time_limit)))
            runs[-1].cpu_seconds = {name: cpu_seconds(pid) - before[name] for name, pid in servers.items()}
            print(f"{runs[-1].label}: done", flush=True)
        report(runs, servers)
        if args.long:
            flows = scenario_cycle(with_file_status)
            long_run = asyncio.run(concurrent_load(urls[:1], 1, args.long, flows, args.time_limit * 2))
            report_by_turn_index(long_run)

    if args.url:
        run_all(args.url, {})
    else:
        with Stack(Path(args.model), args.instances) as stack:
            run_all(stack.urls, stack.pids)
            floor = in_process_floor(Path(args.model), stack.actions_urls[0], args.turns, with_file_status)
            report([floor], {})
    return 0


if __name__ == "__main__":
    sys.exit(main())
