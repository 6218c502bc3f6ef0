"""Members benchmark: the file-status look-up and the identity verification over a
million members, in a PostgreSQL database of its own (`amo_bench`, dropped at the end
unless --keep). `make bench-members` (also part of `make bench`); not a test.

1. Creates `amo_bench` with the action server's own schema (actions/members/models.py,
   indexes included), then seeds with COPY: N synthetic members (default 1,000,000;
   made-up identifiers, never real ones), about 1.2 beneficiaries each, and old
   verification attempts (default 300,000, outside every limit window) so that the
   counting queries have something to read past.
2. Runs the two operations the action server runs, as it runs them (the repository
   and FileStatusService of actions/members/), from C concurrent conversations
   (threads; default 8, the action server's worker threads are of that order):
   - look-up: `MembersRepository.find_member` by CIN or by immatriculation, at random;
   - verification: `FileStatusService.remember_identifier` then `verify` with the right
     birth date (pending look-up, member, per-member advisory lock, the limits'
     counts, the attempt recorded, marked verified), each in a new conversation.
3. Prints p50/p95/p99 per operation and the plan PostgreSQL chose for each query of
   the verification (an index scan, or a sequential scan that would not scale).

Target: look-up p95 under 10 ms.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import io
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from actions.members import models  # noqa: E402
from actions.members import verification  # noqa: E402
from actions.members.repository import MembersRepository, engine_for, look_up_engine_for, look_up_query  # noqa: E402
from actions.members.service import FileStatusService, Verified  # noqa: E402
from bot.shared.identifiers import Identifier  # noqa: E402

DATABASE = "amo_bench"
CATEGORIES = ("trader", "artisan", "auto_entrepreneur", "cpu", "liberal", "farmer", "achamil", "salaried", "tadamon")
STATUSES = ("active", "active", "active", "pending_validation", "incomplete", "suspended")
LETTERS = [a + b for a in "ABCDEFGHJKLMNPRSTUVWXY" for b in "ABCDEFGHJKLMNPRSTUVWXY"]  # not ZZ: the demo's



def look_up_sql(label: str, identifier: Identifier) -> Tuple[str, str, Dict[str, str]]:
    """The repository's own look-up query as SQL text with its parameters, for EXPLAIN."""
    query, parameters = look_up_query(identifier)
    return label, str(query.compile()), parameters


def identifiers(number: int) -> Tuple[str, str]:
    """The made-up (immatriculation, CIN) of synthetic member `number`; all distinct."""
    letters, digits = LETTERS[number % len(LETTERS)], number // len(LETTERS)
    return f"{700000000 + number:09d}", f"{letters}{digits:06d}"


def birth_date(number: int) -> date:
    return date(1940, 1, 1) + timedelta(days=(number * 7919) % 23_000)


def member_rows(count: int) -> Iterator[Dict[str, object]]:
    for number in range(count):
        immatriculation, cin = identifiers(number)
        status = STATUSES[number % len(STATUSES)]
        yield {
            "id": number + 1,
            "immatriculation": immatriculation,
            "cin": cin,
            "birth_date": birth_date(number),
            "category": CATEGORIES[number % len(CATEGORIES)],
            "registration_status": status,
            "status_date": date(2025, 1, 1) + timedelta(days=number % 600),
            "missing_documents": '["rib"]' if status == "incomplete" else "[]",
            "rights_open_since": date(2023, 1, 1) + timedelta(days=number % 900) if status == "active" else None,
            "contributions_paid_until": date(2026, 1 + number % 10, 1) if status in ("active", "suspended") else None,
            "rejection_reason": None,
        }


def beneficiary_rows(count: int) -> Iterator[Dict[str, object]]:
    identifier = 0
    for number in range(count):
        for child in range(number % 5 // 2 + (number % 3 == 0)):  # 0-3, about 1.2 on average
            identifier += 1
            yield {"id": identifier, "member_id": number + 1, "type": "spouse" if child == 0 else "child",
                   "birth_date": birth_date(number + child + 1), "status": "active"}


def attempt_rows(count: int) -> Iterator[Dict[str, object]]:
    old = datetime(2025, 1, 1)
    for number in range(count):
        yield {"id": number + 1, "conversation_hash": f"{number:064x}", "identifier_hash": f"{number * 31:064x}",
               "attempted_at": old + timedelta(seconds=number * 37), "success": number % 4 == 0}


def copy(connection, table, rows: Iterator[Dict[str, object]], batch: int = 200_000) -> int:
    """COPY `rows` into `table` (the model's columns; absent keys are NULL)."""
    columns = [column.name for column in table.columns]
    cursor, total = connection.cursor(), 0
    while True:
        buffer, written = io.StringIO(), 0
        for row in rows:
            buffer.write("\t".join(_copy_value(row.get(name)) for name in columns) + "\n")
            written += 1
            if written == batch:
                break
        if not written:
            break
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN", buffer)
        total += written
        if written < batch:
            break
    for name in ("id",):
        if name in columns:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                           f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))")
    connection.commit()
    return total


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(operations: int, concurrency: int, operation: Callable[[int], None]) -> List[float]:
    """Runs operation(0..operations-1) from `concurrency` threads; the latencies in ms."""
    def one(index: int) -> float:
        started = time.perf_counter()
        operation(index)
        return (time.perf_counter() - started) * 1000

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(operations)))


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=300_000, help="old verification attempts seeded")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent conversations")
    parser.add_argument("--operations", type=int, default=4000, help="look-ups, and as many verifications / 4")
    parser.add_argument("--host", default=os.environ.get("AMO_PG_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("AMO_PG_PORT", "5432"))
    parser.add_argument("--user", default=os.environ.get("AMO_BENCH_PG_USER", "postgres"))
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database")
    parser.add_argument("--reuse", action="store_true", help=f"measure on a kept {DATABASE} (no seeding)")
    args = parser.parse_args(list(argv) or None)

    import psycopg2

    admin = psycopg2.connect(host=args.host, port=args.port, user=args.user, dbname="postgres")
    admin.autocommit = True
    cursor = admin.cursor()
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
    reuse = args.reuse and cursor.fetchone() is not None
    if not reuse:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    url = f"postgresql://{args.user}@{args.host}:{args.port}/{DATABASE}"
    engine = engine_for(url, pool_size=args.concurrency + 2, max_overflow=4)
    look_ups = look_up_engine_for(url, pool_size=args.concurrency + 2, max_overflow=4)
    try:
        repository = MembersRepository(engine, look_ups=look_ups)
        repository.create_schema()  # tables and indexes: actions/members/models.py
        if reuse:
            with engine.connect() as connection:
                args.members = connection.execute(text("SELECT count(*) FROM members")).scalar_one()
            print(f"Reusing {DATABASE}: {args.members:,} members")
        else:
            seed(engine, args)
        measure(engine, repository, args)
        return 0
    finally:
        engine.dispose()
        look_ups.dispose()
        if not args.keep:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            print(f"Dropped the {DATABASE} database (--keep keeps it).")
        admin.close()


def seed(engine, args) -> None:
    started = time.monotonic()
    raw = engine.raw_connection()
    raw.cursor().execute("SET statement_timeout = 0")  # a COPY of 200,000 rows may take longer than a look-up may
    counts = {
        "members": copy(raw, models.members, member_rows(args.members)),
        "beneficiaries": copy(raw, models.beneficiaries, beneficiary_rows(args.members)),
        "verification_attempts": copy(raw, models.verification_attempts, attempt_rows(args.attempts)),
    }
    cursor = raw.cursor()
    cursor.execute("ANALYZE")
    raw.commit()
    raw.close()
    seeded = time.monotonic() - started
    print(f"Seeded with COPY in {seeded:.0f} s: " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))


def measure(engine, repository, args) -> None:
    rng = random.Random(7)
    picks = [rng.randrange(args.members) for _ in range(args.operations)]

    def look_up(index: int) -> None:
        immatriculation, cin = identifiers(picks[index % len(picks)])
        identifier = Identifier("cin", cin) if index % 2 else Identifier("immatriculation", immatriculation)
        assert repository.find_member(identifier) is not None

    service = FileStatusService(repository, rates=verification.Rates(per_conversation=10**6, total=10**9,
                                                                      spray_failures=10**9))
    verifications = max(1, args.operations // 4)

    def verify(index: int) -> None:
        number = picks[index % len(picks)]
        immatriculation, cin = identifiers(number)
        conversation = f"bench-{index}-{time.time_ns()}"
        service.remember_identifier(conversation, Identifier("cin", cin))
        outcome = service.verify(conversation, birth_date(number))
        assert isinstance(outcome, Verified), outcome

    timed(200, args.concurrency, look_up)  # warm the pool and the caches
    alone = timed(500, 1, look_up)
    results = {
        "look-up (find_member)": timed(args.operations, args.concurrency, look_up),
        "verification (remember_identifier + verify)": timed(verifications, args.concurrency, verify),
    }
    print(f"\n{args.members:,} members, {args.concurrency} concurrent conversations\n")
    print("| operation | n | p50 ms | p95 ms | p99 ms | mean ms |")
    print("|---|---|---|---|---|---|")
    for name, values in [("look-up, one conversation alone", alone), *results.items()]:
        print(f"| {name} | {len(values)} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} | "
              f"{percentile(values, 99):.2f} | {statistics.mean(values):.2f} |")
    print("\nQuery plans (PostgreSQL EXPLAIN, first line):")
    with engine.connect() as connection:
        since = datetime.utcnow() - timedelta(minutes=1)
        for label, query, params in (
            look_up_sql("member and beneficiaries by CIN", Identifier("cin", identifiers(5)[1])),
            look_up_sql("member and beneficiaries by immatriculation",
                        Identifier("immatriculation", identifiers(5)[0])),
            ("attempts of a subject", "SELECT attempted_at, success FROM verification_attempts "
             "WHERE identifier_hash = :v AND attempted_at >= :s ORDER BY attempted_at", {"v": "0" * 64, "s": since}),
            ("look-ups in the last minute", "SELECT count(*) FROM verification_attempts WHERE attempted_at > :s",
             {"s": since}),
            ("failures in the spray window", "SELECT count(*) FROM verification_attempts "
             "WHERE attempted_at > :s AND success = false", {"s": since}),
            ("expired pending look-ups", "DELETE FROM pending_lookups WHERE expires_at <= :s", {"s": since}),
        ):
            plan = connection.execute(text("EXPLAIN " + query), params).scalars().all()
            scans = [line.strip().split("  (")[0].lstrip("-> ") for line in plan if "Scan" in line]
            print(f"- {label}: {'; '.join(scans) or plan[0].strip()}")
        # The database's own time for the look-up's query (EXPLAIN ANALYZE), apart from
        # the client's: on a loaded machine the client threads wait for a core.
        server = []
        for number in picks[:200]:
            _, query, params = look_up_sql("", Identifier("cin", identifiers(number)[1]))
            plan = connection.execute(text("EXPLAIN (ANALYZE) " + query), params).scalars().all()
            server.append(sum(float(line.split(":")[1].split()[0]) for line in plan
                              if line.startswith(("Execution Time", "Planning Time"))))
        print(f"- the look-up's query inside PostgreSQL: p50 {percentile(server, 50):.3f} ms, "
              f"p95 {percentile(server, 95):.3f} ms")
    load = os.getloadavg()
    print(f"\nMachine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    target = percentile(results["look-up (find_member)"], 95)
    print(f"Look-up p95 {target:.2f} ms: {'within' if target < 10 else 'OVER'} the 10 ms target")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
