"""Settings, read from the environment once, each with a working default.

Everything configurable lives here; no other module reads ``os.environ``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gotong"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    kafka_bootstrap: str | None
    kafka_port: int
    kafka_controller_port: int
    database_url: str
    http_host: str
    http_port: int
    topic_partitions: int
    topic_replication: int
    table_store: str
    app_id: str
    max_batch_events: int
    max_body_bytes: int
    worker_heartbeat_stale_s: int
    kafka_home: Path
    timezone: str
    batch_size: int
    overdue_check_s: float
    publish_timeout_s: float
    secret_key_override: str | None = field(default=None, repr=False)
    java_home: Path | None = None
    kafka_heap_opts: str = "-Xms256m -Xmx1g"
    #: the local broker's garbage collector (services/local/broker.py says why not G1)
    kafka_gc_opts: str = "-XX:+UseParallelGC"
    # webhooks: hosts allowed although private/loopback, the retry schedule (seconds
    # after each failed attempt, about a day in all), when to give up, and how many tasks
    # the delivery agent takes at once, waiting at most so long for them
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_retry_schedule: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    webhook_timeout_s: float = 10.0
    webhook_pause_after_s: float = 24 * 3600.0
    webhook_retry_tick_s: float = 1.0
    webhook_concurrency: int = 50
    webhook_batch: int = 256
    webhook_batch_wait_s: float = 0.25
    cookie_secure: bool = True
    session_days: int = 14
    max_form_bytes: int = 256 * 1024
    projection_wait_s: float = 2.0
    login_max_failures: int = 5
    login_window_s: int = 300
    # a worker told to stop (SIGTERM/SIGINT) exits after this long even if Kafka is gone
    worker_stop_timeout_s: float = 15.0
    # the ingest agent: decoded aggregate states kept between batches (MiB of their JSON),
    # and how long the worker's producer waits to fill a batch of records
    state_cache_mb: int = 32
    render_cache_mb: int = 32  # pages rendered for visitors not signed in (web/render_cache.py)
    # how long a shared cache (a reverse proxy) may answer with a page kept for visitors
    # before asking again (s-maxage); browsers always ask again
    shared_cache_s: int = 10
    # RocksDB memory of all the worker's table databases together (cache and memtables)
    rocksdb_memory_mb: int = 48
    producer_linger_ms: int = 2
    # how long, at most, the web's producer pauses after a round of concurrent requests'
    # events was acknowledged, for as many requests to join as it answered (0: no pause;
    # the event loop's timers count whole milliseconds). See services.ingest.producer.Lanes
    ingest_gather_ms: int = 1
    # how often the worker commits its offsets, and so writes the states changed since the
    # last commit to their tables (RocksDB and changelog), once each
    commit_interval_s: float = 1.0
    # after a fetch of a few records, how long the ingest agent waits for more; how long
    # the broker may hold the worker's fetch to fill 32 KiB (0: Faust's, at once)
    batch_linger_ms: int = 0
    fetch_wait_ms: int = 20
    # Prometheus: the worker's own /metrics port (0: none) and interface; /healthz says
    # "degraded" past this many unprocessed ingest records
    metrics_port: int = 9108
    metrics_host: str = "127.0.0.1"
    lag_degraded: int = 10_000
    # the web's /metrics also answers a bearer of this token (besides the machine itself)
    metrics_token: str | None = field(default=None, repr=False)
    # end this process when the one that started it ends (what `gotong bench` starts)
    exit_with_parent: bool = False
    # one log line per HTTP request from uvicorn (off: /metrics counts requests by route
    # and status; the line cost ~8% of the web's CPU at 1,000 events/s)
    access_log: bool = False
    # notification mail: the SMTP server (None: notifications stay on the site), the From
    # address, the site's public address for links; how long an "immediate" mail waits to
    # gather what comes together, how often the worker looks, the retry schedule while
    # the server is away (seconds after each failed attempt, about two days in all), the
    # city's hour of the daily digest, and how often due-soon commitments are looked for
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str = "Gotong <gotong@localhost>"
    public_url: str = "http://127.0.0.1:8000"
    mail_wait_s: float = 60.0
    mail_tick_s: float = 5.0
    mail_retry_schedule: tuple[float, ...] = (30, 60, 300, 900, 1800, 3600, 7200, 14400,
                                              28800, 43200, 43200, 43200)
    mail_timeout_s: float = 30.0
    mail_digest_hour: int = 7
    due_check_s: float = 300.0

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap servers: the configured cluster or the local broker."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def uses_local_broker(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def secret_key(self) -> bytes:
        """The service secret: from the environment, or generated once into the data dir."""
        if self.secret_key_override:
            return self.secret_key_override.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            os.replace(tmp, path)
        return path.read_text().strip().encode()


def _floats(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SystemExit(f"{name} must be comma-separated seconds, got {raw!r}") from exc


def load() -> Settings:
    data_dir = Path(os.environ.get("GOTONG_DATA_DIR") or _default_data_dir()).expanduser()
    database_url = os.environ.get("GOTONG_DATABASE_URL") or f"sqlite:///{data_dir / 'gotong.db'}"
    return Settings(
        data_dir=data_dir,
        kafka_bootstrap=os.environ.get("GOTONG_KAFKA_BOOTSTRAP") or None,
        kafka_port=_int("GOTONG_KAFKA_PORT", 9092),
        kafka_controller_port=_int("GOTONG_KAFKA_CONTROLLER_PORT", 0),
        database_url=database_url,
        http_host=os.environ.get("GOTONG_HTTP_HOST") or "127.0.0.1",
        http_port=_int("GOTONG_HTTP_PORT", 8000),
        topic_partitions=_int("GOTONG_TOPIC_PARTITIONS", 6),
        topic_replication=_int("GOTONG_TOPIC_REPLICATION", 1),
        table_store=os.environ.get("GOTONG_TABLE_STORE") or "rocksdb",
        app_id=os.environ.get("GOTONG_APP_ID") or "gotong",
        max_batch_events=_int("GOTONG_MAX_BATCH_EVENTS", 500),
        max_body_bytes=_int("GOTONG_MAX_BODY_BYTES", 1024 * 1024),
        worker_heartbeat_stale_s=_int("GOTONG_WORKER_STALE_SECONDS", 30),
        kafka_home=Path(
            os.environ.get("GOTONG_KAFKA_HOME") or REPO_ROOT / "deploy" / "kafka" / "target"
        ),
        timezone=os.environ.get("GOTONG_TIMEZONE") or "Asia/Makassar",
        batch_size=_int("GOTONG_BATCH_SIZE", 6000),
        state_cache_mb=_int("GOTONG_STATE_CACHE_MB", 32),
        render_cache_mb=_int("GOTONG_RENDER_CACHE_MB", 32),
        shared_cache_s=_int("GOTONG_SHARED_CACHE_SECONDS", 10),
        rocksdb_memory_mb=_int("GOTONG_ROCKSDB_MEMORY_MB", 48),
        producer_linger_ms=_int("GOTONG_PRODUCER_LINGER_MS", 2),
        ingest_gather_ms=_int("GOTONG_INGEST_GATHER_MS", 1),
        commit_interval_s=float(os.environ.get("GOTONG_COMMIT_INTERVAL_SECONDS") or 1.0),
        batch_linger_ms=_int("GOTONG_BATCH_LINGER_MS", 0),
        fetch_wait_ms=_int("GOTONG_FETCH_WAIT_MS", 20),
        metrics_port=_int("GOTONG_METRICS_PORT", 9108),
        metrics_host=os.environ.get("GOTONG_METRICS_HOST") or "127.0.0.1",
        lag_degraded=_int("GOTONG_LAG_DEGRADED", 10_000),
        metrics_token=os.environ.get("GOTONG_METRICS_TOKEN") or None,
        exit_with_parent=_bool("GOTONG_EXIT_WITH_PARENT", False),
        access_log=_bool("GOTONG_ACCESS_LOG", False),
        smtp_url=os.environ.get("GOTONG_SMTP_URL") or None,
        mail_from=os.environ.get("GOTONG_MAIL_FROM") or "Gotong <gotong@localhost>",
        public_url=(os.environ.get("GOTONG_PUBLIC_URL")
                    or f"http://127.0.0.1:{_int('GOTONG_HTTP_PORT', 8000)}").rstrip("/"),
        mail_wait_s=float(os.environ.get("GOTONG_MAIL_WAIT") or 60),
        mail_tick_s=float(os.environ.get("GOTONG_MAIL_TICK") or 5),
        mail_retry_schedule=_floats("GOTONG_MAIL_RETRY_SCHEDULE",
                                    (30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800,
                                     43200, 43200, 43200)),
        mail_timeout_s=float(os.environ.get("GOTONG_MAIL_TIMEOUT") or 30),
        mail_digest_hour=_int("GOTONG_MAIL_DIGEST_HOUR", 7),
        due_check_s=float(os.environ.get("GOTONG_DUE_CHECK_SECONDS") or 300),
        overdue_check_s=float(os.environ.get("GOTONG_OVERDUE_CHECK_SECONDS") or 10),
        publish_timeout_s=float(os.environ.get("GOTONG_PUBLISH_TIMEOUT") or 10),
        worker_stop_timeout_s=float(os.environ.get("GOTONG_WORKER_STOP_TIMEOUT") or 15),
        secret_key_override=os.environ.get("GOTONG_SECRET_KEY") or None,
        java_home=Path(os.environ["JAVA_HOME"]) if os.environ.get("JAVA_HOME") else None,
        kafka_heap_opts=os.environ.get("GOTONG_KAFKA_HEAP_OPTS") or "-Xms256m -Xmx1g",
        kafka_gc_opts=os.environ.get("GOTONG_KAFKA_GC_OPTS") or "-XX:+UseParallelGC",
        webhook_allowed_hosts=tuple(
            h.strip().lower() for h in (os.environ.get("GOTONG_WEBHOOK_ALLOWED_HOSTS") or "")
            .split(",") if h.strip()),
        webhook_retry_schedule=_floats("GOTONG_WEBHOOK_RETRY_SCHEDULE",
                                       (5, 300, 1800, 7200, 18000, 36000, 36000)),
        webhook_timeout_s=float(os.environ.get("GOTONG_WEBHOOK_TIMEOUT") or 10),
        webhook_pause_after_s=float(os.environ.get("GOTONG_WEBHOOK_PAUSE_AFTER") or 86400),
        webhook_retry_tick_s=float(os.environ.get("GOTONG_WEBHOOK_RETRY_TICK") or 1),
        webhook_concurrency=_int("GOTONG_WEBHOOK_CONCURRENCY", 50),
        webhook_batch=_int("GOTONG_WEBHOOK_BATCH", 256),
        webhook_batch_wait_s=float(os.environ.get("GOTONG_WEBHOOK_BATCH_WAIT") or 0.25),
        cookie_secure=_bool("GOTONG_COOKIE_SECURE", True),
        session_days=_int("GOTONG_SESSION_DAYS", 14),
        max_form_bytes=_int("GOTONG_MAX_FORM_BYTES", 256 * 1024),
        projection_wait_s=float(os.environ.get("GOTONG_PROJECTION_WAIT") or 2.0),
        login_max_failures=_int("GOTONG_LOGIN_MAX_FAILURES", 5),
        login_window_s=_int("GOTONG_LOGIN_WINDOW_SECONDS", 300),
    )


@cache
def get() -> Settings:
    """The process-wide settings (read once)."""
    return load()
