#!/usr/bin/env python
"""Benchmark: creating cases through the REST API (POST /api/cases/cases/) on PostgreSQL, over HTTP,
with concurrent clients. Each case is located, classified, routed, put on the SLA clock, audited
and notified: the whole intake path of `cases.services.report_case`.

    .venv/bin/python bench/case_intake.py                      # 3,000 cases, 32 connections, 2 workers
    .venv/bin/python bench/case_intake.py --cases 5000 --connections 64 --rate 250
    .venv/bin/python bench/case_intake.py --keep               # leave the database (and reuse it: --reuse)
    .venv/bin/python bench/case_intake.py --profile 300        # also profile report_case in-process
    .venv/bin/python bench/case_intake.py --reuse --db-pool 0  # serve without the connection pool
    .venv/bin/python bench/case_intake.py --reuse --server uvicorn --redis-url ''   # as `make run` serves

Steps (the database is its own: created, and dropped at the end unless --keep):

1. DROP/CREATE the database of --database-url (default
   postgres://postgres@127.0.0.1:5432/gongzhi_bench_intake; the name must contain "bench"), then
   `manage.py migrate` and `manage.py load_demo --scale 0.05` as child processes, with a fresh
   GONGZHI_VAR_DIR and GONGZHI_FIELD_KEY. If the demo has no handling bodies, the bench creates them.
2. In this process: a DRF token for every grid worker of the demo (`sg*` users, one grid each),
   the classifier trained once into GONGZHI_VAR_DIR (so the web workers only load it), and the
   request bodies: a text of the classifier's held-out corpus (spoken-style Chinese), a random point
   inside the worker's grid, half with a typed address ("<compound>3幢") and half with the
   reporter's name and mobile (→ an SMS through the log backend), priorities 88 % normal.
3. The server as deploy/gongzhi-web.service runs it: granian --interface wsgi gongzhi.wsgi:application
   --workers 2 --blocking-threads 2 (--server uvicorn: the ASGI application under uvicorn, as
   `make run` serves it; --server granian-asgi), with gongzhi.settings.prod (DEBUG off; secret, field
   key and hosts from the environment, as deploy/gongzhi.env.example), the Redis channel layer
   (--redis-url; '' for the in-memory one), GONGZHI_DB_CONN_MAX_AGE=0 and Django's connection pool
   (--db-pool N per worker, default 8; 0 = none). --conn-max-age > 0 under uvicorn shows why the
   deployment keeps 0 there (under ASGI each request runs in its own thread, so persistent
   connections pile up until PostgreSQL refuses more).
4. Warm-up (untimed), then two timed runs, each --cases requests:
   - throughput: --connections clients in a closed loop (each sends its next case as soon as the
     previous answer arrives): the most cases/s the server sustains, and its latencies then;
   - latency at the target rate: cases sent at --rate per second (open loop, fixed schedule, up to
     --connections in flight); a latency counts from the scheduled send time, so a server that
     falls behind shows it (no coordinated omission).
   Then a floor: 1,000 authenticated GET /api/cases/notifications/ (token, permission, two small
   queries, nothing written) — what this stack serves per second when a request does no work.
   The load generator is a small asyncio HTTP/1.1 keep-alive client on the same 2 cores; its CPU
   time is printed with the server's and the rest of the machine's (PostgreSQL, mostly).
5. Checks in the database that every 201 is a case with its audit row (core.ObjectChange, create)
   and its "report" timeline event; prints PASS/FAIL against 200 cases/s (throughput run) and
   p99 < 200 ms (at the target rate), and a `JSON {...}` line.
6. With --profile N (and automatically, N=200, on a FAIL): N calls of services.report_case in this
   process, timed per part (locate, classifier, routing, SLA, INSERTs, audit, notify, commit), with
   the queries of each part, and the same N through the full API stack in-process (Django test
   client: middleware, token auth, DRF, serializers); then a cProfile of the loop (the project's functions,
   by cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import cProfile
import json
import logging
import math
import os
import pstats
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
GRANIAN = str(Path(sys.executable).with_name("granian"))
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/gongzhi_bench_intake"
TARGET_RATE = 200.0  # cases/s
TARGET_P99_MS = 200.0
STATE_FILE = ROOT / "bench" / ".kept-intake.json"
CORPUS = ROOT / "gongzhi" / "cases" / "classifier" / "corpus" / "holdout.tsv"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "丽", "敏", "军", "磊", "芳", "伟", "海燕", "玉兰", "德明", "小红"]


def git_revision() -> str:
    """HEAD's short hash, "+dirty" when the work tree has changes (read-only git calls)."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


# -- PostgreSQL ---------------------------------------------------------------------------------


def _admin_conn(url: str):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(url)
    info["dbname"] = "postgres"
    return psycopg.connect(make_conninfo(**info), autocommit=True)


def pg_dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url)["dbname"]


def pg_recreate(url: str) -> None:
    from psycopg import sql

    with _admin_conn(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(pg_dbname(url))))
        conn.execute(
            sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(pg_dbname(url)))
        )


def pg_drop(url: str) -> None:
    from psycopg import sql

    with _admin_conn(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(pg_dbname(url))))


def pg_has_demo(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM territory_district").fetchone()[0] > 0
    except psycopg.Error:
        return False


# -- CPU accounting from /proc (our children, and the PostgreSQL server processes) ------------------


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, user+system CPU seconds) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the uvicorn processes (the server and its workers), of this process
    (the load generator) and of the whole machine. PostgreSQL's backends come and go with each
    request (CONN_MAX_AGE=0), so its share is the machine's minus these two: "postgres + others"."""
    web = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat is not None and (int(entry.name) == server_pid or stat[1] == server_pid):
                web += stat[2]
    return {"web": web, "client": time.process_time(), "machine": machine_busy_seconds()}


# -- the load generator: asyncio HTTP/1.1 with keep-alive -----------------------------------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.transport.set_write_buffer_limits(high=1 << 20)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def request(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            await self.open()
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                key, value = line.split(b":", 1)
                headers[key.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
        if headers.get(b"connection", b"").lower() == b"close":
            self.writer.close()
            self.writer = None
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Result:
    latency_ms: list[float] = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    bodies: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


async def _send(conn: Connection, payload: bytes, result: Result) -> int:
    try:
        status, body = await conn.request(payload)
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        conn.writer = None
        result.statuses["error"] += 1
        result.errors.append(repr(exc))
        return 0
    result.statuses[status] += 1
    if status == 201:
        result.bodies.append(body)
    elif status != 200 and len(result.errors) < 5:
        result.errors.append(f"{status} {body[:300].decode(errors='replace')}")
    return status


async def closed_loop(host, port, payloads: list[bytes], connections: int) -> Result:
    """Each client sends its next request as soon as the previous answer is in."""
    result = Result()
    queue = iter(payloads)
    clients = [Connection(host, port) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in clients))
    loop = asyncio.get_running_loop()

    async def client(conn: Connection) -> None:
        for payload in queue:
            started = loop.time()
            await _send(conn, payload, result)
            result.latency_ms.append((loop.time() - started) * 1000)

    started = loop.time()
    await asyncio.gather(*(client(c) for c in clients))
    result.wall_s = loop.time() - started
    for c in clients:
        c.close()
    return result


async def open_loop(host, port, payloads: list[bytes], rate: float, connections: int) -> Result:
    """Requests on a fixed schedule (`rate` per second); latency counts from the scheduled time."""
    result = Result()
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    clients = [Connection(host, port) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in clients))
    for c in clients:
        pool.put_nowait(c)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def one(i: int, payload: bytes) -> None:
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()
        try:
            await _send(conn, payload, result)
        finally:
            pool.put_nowait(conn)
        result.latency_ms.append((loop.time() - scheduled) * 1000)

    await asyncio.gather(*(one(i, p) for i, p in enumerate(payloads)))
    result.wall_s = loop.time() - start
    for c in clients:
        c.close()
    return result


# -- in this process: the database side (Django configured) -----------------------------------------


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()


def ensure_bodies() -> str:
    from gongzhi.cases.models import HandlingBody
    from gongzhi.territory.models import District

    if HandlingBody.objects.exists():
        return f"{HandlingBody.objects.count()} from the demo"
    from gongzhi.cases.demo import load_bodies

    for district in District.objects.all():
        load_bodies(district)
    return f"{HandlingBody.objects.count()} created by the bench (the demo had none)"


def corpus_texts() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[1] for line in lines if "\t" in line]


def prepare_requests(n_total: int, host: str, port: int, seed: int) -> tuple[list[bytes], dict]:
    """Tokens for the demo's grid workers and `n_total` request bodies, each in its worker's grid."""
    import shapely
    from rest_framework.authtoken.models import Token

    from gongzhi.accounts.choices import Role
    from gongzhi.accounts.models import Assignment
    from gongzhi.territory import resolve
    from gongzhi.territory.models import Compound, Grid

    rng = random.Random(seed)
    workers = dict(
        Assignment.objects.filter(role=Role.GRID_WORKER, level="grid", user__username__startswith="sg")
        .order_by("grid_id", "user_id")
        .values_list("grid_id", "user_id")
    )
    if not workers:
        raise SystemExit("The demo has no grid workers (sg* users assigned to grids).")
    tokens = {}
    for user_id in workers.values():
        token, _created = Token.objects.get_or_create(user_id=user_id)  # DRF's own model: the login of a client
        tokens[user_id] = token.key
    shapes = {
        pk: shapely.geometry.shape(g) for pk, g in Grid.objects.filter(pk__in=workers).values_list("pk", "geometry")
    }
    compounds = collections.defaultdict(list)
    for grid_id, name in Compound.objects.filter(grid_id__in=workers).values_list("grid_id", "name"):
        compounds[grid_id].append(name)
    texts = corpus_texts()
    grids = sorted(shapes)
    payloads = []
    for i in range(n_total):
        grid_id = rng.choice(grids)
        shape = shapes[grid_id]
        minx, miny, maxx, maxy = shape.bounds
        while True:  # inside the grid, and resolving to it (not on an edge shared with a neighbour)
            lon, lat = round(rng.uniform(minx, maxx), 7), round(rng.uniform(miny, maxy), 7)
            if shape.contains(shapely.Point(lon, lat)) and resolve.resolve_grid_id(lon, lat) == grid_id:
                break
        data = {"description": rng.choice(texts), "lon": lon, "lat": lat}
        roll = rng.random()
        data["priority"] = "emergency" if roll < 0.02 else "urgent" if roll < 0.12 else "normal"
        if i % 2 == 0 and compounds[grid_id]:
            data["address"] = f"{rng.choice(compounds[grid_id])}{rng.randint(1, 12)}幢{rng.randint(1, 4)}单元"
        if i % 2 == 1:
            data["reporter_name"] = rng.choice(SURNAMES) + rng.choice(GIVEN)
            data["reporter_phone"] = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        body = json.dumps(data, ensure_ascii=False).encode()
        head = (
            f"POST /api/cases/cases/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Token {tokens[workers[grid_id]]}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        payloads.append(head.encode() + body)
    floor = [
        (
            f"GET /api/cases/notifications/?unread=1&page_size=1 HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Token {tokens[workers[rng.choice(grids)]]}\r\nAccept: application/json\r\n\r\n"
        ).encode()
        for _ in range(1000)
    ]
    meta = {"grid_workers": len(tokens), "grids": len(grids), "texts": len(texts), "floor": floor}
    return payloads, meta


def verify(ids: list[int]) -> dict:
    """Every created case is in the database with its audit row and its report event."""
    from django.contrib.contenttypes.models import ContentType

    from gongzhi.cases.models import Case, CaseEvent
    from gongzhi.core.choices import ChangeAction
    from gongzhi.core.models import ObjectChange

    ct = ContentType.objects.get_for_model(Case)
    unique = sorted(set(ids))
    found = audited = reported = 0
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        found += Case.objects.filter(pk__in=chunk).count()
        audited += (
            ObjectChange.objects.filter(
                content_type=ct, action=ChangeAction.CREATE, object_id__in=[str(pk) for pk in chunk]
            )
            .values("object_id")
            .distinct()
            .count()
        )
        reported += CaseEvent.objects.filter(case_id__in=chunk, action="report").values("case_id").distinct().count()
    return {"responses": len(ids), "unique": len(unique), "in_db": found, "audited": audited, "report_event": reported}


# -- profiling report_case in-process ---------------------------------------------------------------


class Parts:
    """Wall time and queries per named part of one intake, accumulated over many."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = collections.defaultdict(float)
        self.cpu_ms: dict[str, float] = collections.defaultdict(float)
        self.queries: dict[str, int] = collections.defaultdict(int)
        self.stack: list[str] = []
        self.query_count = 0

    def counter(self, execute, sql, params, many, context):
        self.query_count += 1
        return execute(sql, params, many, context)

    def wrap(self, owner, attr: str, label: str) -> None:
        original = getattr(owner, attr)
        parts = self

        def timed(*args, **kwargs):
            if parts.stack:  # nested: counted in the outer part
                return original(*args, **kwargs)
            parts.stack.append(label)
            q0, t0, c0 = parts.query_count, time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                parts.ms[label] += (time.perf_counter() - t0) * 1000
                parts.cpu_ms[label] += (time.thread_time() - c0) * 1000
                parts.queries[label] += parts.query_count - q0
                parts.stack.pop()

        setattr(owner, attr, timed)


def profile_intake(n: int, seed: int) -> None:
    from django.test.utils import override_settings

    # production-like (the dev settings have DEBUG on, which also logs every query)
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        _profile_intake(n, seed)


def _profile_intake(n: int, seed: int) -> None:
    import shapely
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from gongzhi.accounts.choices import Role
    from gongzhi.accounts.models import Assignment, User
    from gongzhi.cases import classifier, notify, routing, services
    from gongzhi.cases.choices import Channel
    from gongzhi.core import sms
    from gongzhi.territory.models import Grid

    rng = random.Random(seed)
    texts = corpus_texts()
    # the log backend's SMS lines go to a file, as the server's go to its log
    sms_log = logging.getLogger("gongzhi.sms")
    sms_log.propagate = False
    sms_log.addHandler(logging.FileHandler(Path(os.environ["GONGZHI_VAR_DIR"]) / "sms.log"))
    grid_id, user_id = (
        Assignment.objects.filter(role=Role.GRID_WORKER, level="grid", user__username__startswith="sg")
        .order_by("grid_id")
        .values_list("grid_id", "user_id")
        .first()
    )
    shape = shapely.geometry.shape(Grid.objects.get(pk=grid_id).geometry)
    point = shape.representative_point()
    classifier.load()

    def one(user):
        return services.report_case(
            actor=user,
            channel=Channel.API,
            description=rng.choice(texts),
            now=timezone.now(),
            lon=point.x,
            lat=point.y,
            reporter_name="王秀英",
            reporter_phone="13912345678",
        )

    # warm caches (SLA policies, calendar, compound names, the grid index, content types)
    for _ in range(5):
        one(User.objects.get(pk=user_id))

    user = User.objects.get(pk=user_id)
    with CaptureQueriesContext(connection) as ctx:
        one(user)
    kinds = collections.Counter(q["sql"].split()[0].upper() for q in ctx.captured_queries)

    parts = Parts()
    parts.wrap(services, "locate", "locate (point → grid)")
    parts.wrap(services, "may_report", "may_report (scope)")
    parts.wrap(classifier, "suggest", "classifier.suggest")
    parts.wrap(routing, "route", "routing.route")
    parts.wrap(services, "policy_for", "SLA policy + deadlines")
    parts.wrap(services, "calendar", "SLA policy + deadlines")
    parts.wrap(services.sla, "deadline", "SLA policy + deadlines")
    parts.wrap(services.Case, "save", "INSERT case")
    parts.wrap(services, "_event", "INSERT timeline event")
    parts.wrap(services, "log_change", "audit (ObjectChange)")
    parts.wrap(notify, "case_reported", "notify (rows + on_commit)")
    parts.wrap(notify, "_push_street", "after commit: WebSocket/SMS")
    parts.wrap(notify, "_push", "after commit: WebSocket/SMS")
    parts.wrap(sms, "send_sms", "after commit: WebSocket/SMS")
    parts.wrap(services.transaction.get_connection(), "commit", "COMMIT")
    users = [User.objects.get(pk=user_id) for _ in range(n)]  # a request loads its user afresh
    totals, cpu0 = [], time.process_time()
    with connection.execute_wrapper(parts.counter):
        for user in users:
            t0 = time.perf_counter()
            one(user)
            totals.append((time.perf_counter() - t0) * 1000)
    service_cpu = (time.process_time() - cpu0) * 1000 / n
    totals.sort()
    total = sum(totals)
    print()
    print(f"-- services.report_case in-process, n={n} (one thread, no HTTP), PostgreSQL over TCP 127.0.0.1")
    print(
        f"   per intake: mean {total / n:.1f} ms wall, {service_cpu:.1f} ms CPU of this process;"
        f" p50 {percentile(totals, 50):.1f} ms, p99 {percentile(totals, 99):.1f} ms"
    )
    print(
        f"   queries per intake: {len(ctx.captured_queries)}  ({', '.join(f'{k} {v}' for k, v in kinds.most_common())})"
    )
    print(f"   {'part':<32} {'wall ms':>8} {'share':>7} {'CPU ms':>8} {'queries':>8}")
    accounted = accounted_cpu = 0.0
    for label, ms in sorted(parts.ms.items(), key=lambda kv: -kv[1]):
        accounted += ms
        accounted_cpu += parts.cpu_ms[label]
        print(
            f"   {label:<32} {ms / n:8.2f} {ms / total:7.1%} {parts.cpu_ms[label] / n:8.2f}"
            f" {parts.queries[label] / n:8.1f}"
        )
    rest_q = parts.query_count - sum(parts.queries.values())
    rest, rest_cpu = total - accounted, service_cpu - accounted_cpu / n
    print(
        f"   {'rest (validation, savepoints…)':<32} {rest / n:8.2f} {rest / total:7.1%}"
        f" {rest_cpu:8.2f} {rest_q / n:8.1f}"
    )
    print("   SQL of one intake:")
    for q in ctx.captured_queries:
        print(f"     {q['time']:>6}s  {q['sql'][:150]}")

    # the same through the whole API stack, in-process (no network, no uvicorn)
    token = Token.objects.get_or_create(user_id=user_id)[0].key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"description": texts[0], "lon": point.x, "lat": point.y, "reporter_phone": "13912345678"}
    for _ in range(5):
        client.post("/api/cases/cases/", body, content_type="application/json")
    api_sql: list[str] = []

    def record(execute, sql, params, many, context):
        api_sql.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):  # (request_started clears the query log: no CaptureQueriesContext)
        response = client.post("/api/cases/cases/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    samples, cpu0 = [], time.process_time()
    for _ in range(n):
        body["description"] = rng.choice(texts)
        t0 = time.perf_counter()
        client.post("/api/cases/cases/", body, content_type="application/json")
        samples.append((time.perf_counter() - t0) * 1000)
    api_cpu = (time.process_time() - cpu0) * 1000 / n
    samples.sort()
    print()
    print(f"-- POST /api/cases/cases/ in-process (test client: middleware, token auth, DRF, serializers), n={n}")
    print(
        f"   per request: mean {sum(samples) / n:.1f} ms wall, {api_cpu:.1f} ms CPU of this process;"
        f" p50 {percentile(samples, 50):.1f} ms, p99 {percentile(samples, 99):.1f} ms; {len(api_sql)} queries:"
    )
    for sql in api_sql:
        print(f"     {sql[:150]}")

    profiler = cProfile.Profile()
    users = [User.objects.get(pk=user_id) for _ in range(n)]
    profiler.enable()
    for user in users:
        one(user)
    profiler.disable()
    print()
    print(f"-- cProfile of {n} × report_case: the project's functions by cumulative time (profiler overhead included)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(
        r"gongzhi/|asgiref/sync.py.*__call__|django/db/models/query.py.*_insert", 35
    )


# -- the run ---------------------------------------------------------------------------------------


def summarise(label: str, result: Result, expected: int) -> dict:
    lat = sorted(result.latency_ms)
    created = result.statuses.get(201, 0)
    row = {
        "run": label,
        "requests": expected,
        "created": created,
        "errors": expected - created,
        "wall_s": round(result.wall_s, 2),
        "cases_per_s": round(created / result.wall_s, 1) if result.wall_s else 0.0,
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(lat[-1], 1) if lat else math.nan,
    }
    print(
        f"   {label:<28} {created:>6}/{expected:<6} {row['wall_s']:>7.2f} s {row['cases_per_s']:>8.1f}/s"
        f"  p50 {row['p50_ms']:>7.1f}  p95 {row['p95_ms']:>7.1f}  p99 {row['p99_ms']:>7.1f}"
        f"  max {row['max_ms']:>7.1f} ms"
    )
    if result.errors:
        print(f"     statuses {dict(result.statuses)}; first errors: {result.errors[:3]}")
    return row


def server_command(opts, host: str, port: int) -> list[str]:
    """The web server under test: uvicorn (ASGI, as deployed by default) or granian (ASGI or WSGI)."""
    if opts.server == "uvicorn":
        return [UVICORN, "gongzhi.asgi:application", "--host", host, "--port", str(port), "--workers",
                str(opts.workers), "--lifespan", "off", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    interface = opts.server.removeprefix("granian-")
    app = "gongzhi.wsgi:application" if interface == "wsgi" else "gongzhi.asgi:application"
    command = [GRANIAN, "--interface", interface, "--host", host, "--port", str(port), "--workers", str(opts.workers),
               "--log-level", "warning", "--no-ws"]  # fmt: skip
    if interface == "wsgi":
        command += ["--blocking-threads", str(opts.threads)]
    return [*command, app]


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("uvicorn did not start listening")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_child(args: list[str], env: dict) -> float:
    started = time.monotonic()
    proc = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit {proc.returncode})")
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("GONGZHI_BENCH_DATABASE_URL", DEFAULT_PG_URL),
        help="PostgreSQL database to DROP and create (default %(default)s; its name must contain 'bench')",
    )
    parser.add_argument("--scale", type=float, default=0.05, help="load_demo --scale (default %(default)s)")
    parser.add_argument("--cases", type=int, default=3000, help="cases per timed run (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients (default %(default)s)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open-loop rate, cases/s (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default %(default)s)")
    parser.add_argument(
        "--server",
        choices=["uvicorn", "granian-asgi", "granian-wsgi"],
        default="granian-wsgi",
        help="the web server (default %(default)s, as deploy/gongzhi-web.service: gongzhi.wsgi; uvicorn: gongzhi.asgi)",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="granian-wsgi: threads per worker (default %(default)s, as deployed)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("GONGZHI_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the server's channel layer (GONGZHI_REDIS_URL; default %(default)s, as deployed; '' = in-memory)",
    )
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests first (default %(default)s)")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="GONGZHI_DB_CONN_MAX_AGE of the server (default 0, as deployed; > 0 leaks connections under ASGI)",
    )
    parser.add_argument(
        "--db-pool",
        type=int,
        default=8,
        metavar="N",
        help="GONGZHI_DB_POOL_SIZE of the server: pooled connections per worker (default %(default)s; 0 = none)",
    )
    parser.add_argument("--profile", type=int, default=None, metavar="N", help="profile N report_case calls in-process")
    parser.add_argument("--profile-only", action="store_true", help="only the in-process profile (no server)")
    parser.add_argument("--keep", action="store_true", help="keep the database and var dir (see --reuse)")
    parser.add_argument("--reuse", action="store_true", help="reuse the database a previous --keep left")
    parser.add_argument("--seed", type=int, default=20261201)
    opts = parser.parse_args()

    url = opts.database_url
    if "bench" not in pg_dbname(url):
        raise SystemExit(f"Refusing to drop {pg_dbname(url)!r}: the benchmark database's name must contain 'bench'.")
    state = json.loads(STATE_FILE.read_text()) if opts.reuse and STATE_FILE.exists() else None
    if state and state["database_url"] == url and Path(state["var_dir"]).exists() and pg_has_demo(url):
        var_dir, field_key = Path(state["var_dir"]), state["field_key"]
    else:
        state = None
        var_dir = Path(tempfile.mkdtemp(prefix="gongzhi-bench-intake-"))
        field_key = base64.b64encode(os.urandom(32)).decode()
    host, port = "127.0.0.1", free_port()
    base_env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GONGZHI_FIELD_KEY", "GONGZHI_FIELD_KEY_FILE")
    }
    env = {
        **base_env,
        "DATABASE_URL": url,
        "GONGZHI_VAR_DIR": str(var_dir),
        "GONGZHI_FIELD_KEY": field_key,
        "PYTHONUNBUFFERED": "1",
    }
    dev_env = {**env, "DJANGO_SETTINGS_MODULE": "gongzhi.settings.dev"}
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings.prod",
        "GONGZHI_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGZHI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GONGZHI_INSECURE_COOKIES": "1",
        "GONGZHI_DB_CONN_MAX_AGE": str(opts.conn_max_age),
    }
    if opts.redis_url:
        server_env["GONGZHI_REDIS_URL"] = opts.redis_url
    else:
        server_env.pop("GONGZHI_REDIS_URL", None)
    # the production settings' connection pool (GONGZHI_DB_POOL_SIZE per worker; 0 = none)
    server_env["GONGZHI_DB_POOL_SIZE"] = str(opts.db_pool)
    # uvicorn picks httptools and uvloop when they are installed (uvicorn[standard]), else h11 and asyncio
    fast = {
        mod: subprocess.run([PYTHON, "-c", f"import {mod}"], env=server_env, capture_output=True).returncode == 0
        for mod in ("httptools", "uvloop")
    }
    if opts.server == "uvicorn":
        server_stack = (
            f"http {'httptools' if fast['httptools'] else 'h11'}, loop {'uvloop' if fast['uvloop'] else 'asyncio'}"
        )
    elif opts.server == "granian-wsgi":
        server_stack = f"http in Rust, {opts.threads} threads per worker"
    else:
        server_stack = "http in Rust, asyncio loop"
    server_stack += f", channel layer {'Redis' if opts.redis_url else 'in-memory'}"
    load1 = os.getloadavg()[0]
    print(
        f"== case intake benchmark: PostgreSQL, code {git_revision()}, {os.cpu_count()} CPUs, load average {load1:.2f}"
    )
    print(f"   DATABASE_URL={url}  GONGZHI_VAR_DIR={var_dir}")
    done = False
    try:
        verdict = run(opts, url, state, dev_env, server_env, host, port, var_dir, load1, server_stack)
        done = True
    finally:
        if opts.keep and done:
            STATE_FILE.write_text(
                json.dumps({"database_url": url, "var_dir": str(var_dir), "field_key": field_key}, indent=2) + "\n"
            )
            print(f"Kept {url} and {var_dir} (bench/.kept-intake.json; --reuse to run on it again).")
        else:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            pg_drop(url)
            shutil.rmtree(var_dir, ignore_errors=True)
    return 0 if verdict == "PASS" else 1


def run(opts, url, state, dev_env, server_env, host, port, var_dir, load1, server_stack) -> str:
    if state is None:
        pg_recreate(url)
        print("-- manage.py migrate", flush=True)
        print(f"   {run_child(['migrate', '--no-input', '-v', '0'], dev_env):.1f} s")
        print(f"-- manage.py load_demo --scale {opts.scale:g}", flush=True)
        print(f"   {run_child(['load_demo', '--scale', str(opts.scale)], dev_env):.1f} s")
    else:
        print("-- reusing the kept database")
    django_setup(dev_env)
    from django.db import connection

    from gongzhi.cases import classifier
    from gongzhi.cases.models import Case

    print(f"-- handling bodies: {ensure_bodies()}")
    t0 = time.monotonic()
    classifier.load()  # trains and saves once, when the var dir has no model yet
    print(f"-- classifier ready in {time.monotonic() - t0:.1f} s")
    if opts.profile_only:
        profile_intake(opts.profile or 200, opts.seed)
        return "PASS"
    n_total = opts.warmup + 2 * opts.cases
    payloads, meta = prepare_requests(n_total, host, port, opts.seed)
    cases_before = Case.objects.count()
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg_version = cur.fetchone()[0]
        cur.execute("ANALYZE")
    connection.close()
    print(
        f"-- {n_total:,} requests prepared: {meta['grid_workers']} grid workers (tokens), {meta['grids']} grids, "
        f"{meta['texts']} corpus texts; {cases_before:,} cases in the demo; PostgreSQL {pg_version}"
    )
    warm, timed1, timed2 = (
        payloads[: opts.warmup],
        payloads[opts.warmup : opts.warmup + opts.cases],
        payloads[opts.warmup + opts.cases :],
    )
    with open(var_dir / "uvicorn.log", "w") as log:
        server = subprocess.Popen(server_command(opts, host, port), cwd=ROOT, env=server_env, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_for_port(host, port, server)
            print(
                f"-- {opts.server} --workers {opts.workers} on {host}:{port} ({server_env['DJANGO_SETTINGS_MODULE']}, "
                f"CONN_MAX_AGE={opts.conn_max_age}, pool {opts.db_pool or 'none'}, {server_stack});"
                f" warm-up {opts.warmup} requests",
                flush=True,
            )
            warm_result = asyncio.run(closed_loop(host, port, warm, min(opts.connections, 8)))
            if warm_result.statuses.get(201, 0) != len(warm):
                print(f"   warm-up statuses {dict(warm_result.statuses)}: {warm_result.errors[:3]}")
                raise SystemExit(f"warm-up failed; see the errors above and {var_dir / 'uvicorn.log'}")
            print()
            print(f"   {'run':<28} {'created':>13} {'wall':>9} {'rate':>10}  latency")
            cpu0 = cpu_seconds(server.pid)
            r1 = asyncio.run(closed_loop(host, port, timed1, opts.connections))
            cpu1 = cpu_seconds(server.pid)
            row1 = summarise(f"throughput ({opts.connections} clients)", r1, len(timed1))
            r2 = asyncio.run(open_loop(host, port, timed2, opts.rate, opts.connections))
            cpu2 = cpu_seconds(server.pid)
            row2 = summarise(f"at {opts.rate:g} cases/s (open loop)", r2, len(timed2))
            # the floor: an authenticated API call that writes nothing (token, permission, 2 small queries)
            r3 = asyncio.run(closed_loop(host, port, meta["floor"], opts.connections))
            floor_rate = r3.statuses.get(200, 0) / r3.wall_s
            lat3 = sorted(r3.latency_ms)
            print(
                f"   {'floor: GET notifications':<28} {r3.statuses.get(200, 0):>6}/{len(meta['floor']):<6}"
                f" {r3.wall_s:>7.2f} s {floor_rate:>8.1f}/s  p50 {percentile(lat3, 50):>7.1f}"
                f"  p99 {percentile(lat3, 99):>7.1f} ms  (no intake: the framework's ceiling on this machine)"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print()
    cpu_rows = []
    for label, a, b, result in (("throughput", cpu0, cpu1, r1), (f"at {opts.rate:g}/s", cpu1, cpu2, r2)):
        created = max(1, result.statuses.get(201, 0))
        web, client, machine = (b[k] - a[k] for k in ("web", "client", "machine"))
        rest = machine - web - client
        cpu_rows.append(
            {
                "run": label,
                "web_s": round(web, 1),
                "client_s": round(client, 1),
                "postgres_and_others_s": round(rest, 1),
            }
        )
        print(
            f"   CPU, {label:<12} web {web:6.1f} s  client {client:5.1f} s  postgres+others {rest:5.1f} s"
            f"  of {os.cpu_count() * result.wall_s:5.1f} core-s → per case {1000 * web / created:.1f} ms web,"
            f" {1000 * rest / created:.1f} ms postgres+others, {1000 * client / created:.1f} ms client"
        )
    # every 201 is a case with its audit row and its report event
    ids = [json.loads(b)["id"] for r in (warm_result, r1, r2) for b in r.bodies]
    check = verify(ids)
    cases_after = Case.objects.count()
    print(
        f"   database: {check['in_db']:,} of {check['unique']:,} created cases present, {check['audited']:,} with an "
        f"audit row, {check['report_event']:,} with a report event; cases {cases_before:,} → {cases_after:,}"
    )
    consistent = check["in_db"] == check["audited"] == check["report_event"] == check["unique"] == len(
        ids
    ) and cases_after - cases_before == len(ids)
    met_rate = row1["cases_per_s"] >= TARGET_RATE and row1["errors"] == 0
    met_p99 = row2["p99_ms"] < TARGET_P99_MS and row2["errors"] == 0
    verdict = "PASS" if met_rate and met_p99 and consistent else "FAIL"
    print(
        f"   target: >= {TARGET_RATE:g} cases/s ({'met' if met_rate else 'MISSED'}: {row1['cases_per_s']}/s), "
        f"p99 < {TARGET_P99_MS:g} ms at {opts.rate:g}/s ({'met' if met_p99 else 'MISSED'}: {row2['p99_ms']} ms), "
        f"every case audited with its event ({'yes' if consistent else 'NO'}) -> {verdict}"
    )
    summary = {
        "code": git_revision(),
        "cpus": os.cpu_count(),
        "load_average_before": round(load1, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "workers": opts.workers,
        "connections": opts.connections,
        "conn_max_age": opts.conn_max_age,
        "db_pool": opts.db_pool,
        "server": server_stack,
        "runs": [row1, row2],
        "floor_requests_per_s": round(floor_rate, 1),
        "cpu": cpu_rows,
        "check": check,
        "verdict": verdict,
    }
    print("JSON " + json.dumps(summary, ensure_ascii=False))
    if opts.profile or verdict == "FAIL":
        profile_intake(opts.profile or 200, opts.seed)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
