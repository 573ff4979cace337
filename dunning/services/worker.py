"""Who is doing a piece of work, and whether that process still lives.

A letter being sent and a run being made both name the process doing it. When another process later
finds the work unfinished, it must tell "still going" from "died": on this machine (same boot and PID
namespace) it can look for the process, with its start time because PIDs get reused; elsewhere it
cannot, so the work is trusted for a lease.
"""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.utils import timezone


def worker_identity() -> dict[str, str | int]:
    """Host, boot, PID namespace, PID and the process's start time."""
    return {"host": socket.gethostname(), "boot": _read("/proc/sys/kernel/random/boot_id"),
            "pidns": _pid_namespace(), "pid": os.getpid(), "start": _process_start(os.getpid())}


def worker_alive(worker: dict | None, since: datetime | None, lease: timedelta) -> bool:
    """True while the process that started the work at `since` may still be doing it."""
    here = worker_identity()
    if worker and all(worker.get(k) == here[k] for k in ("host", "boot", "pidns")) and here["boot"]:
        pid = int(worker.get("pid", 0))
        return pid == here["pid"] or (_process_start(pid) == worker.get("start") != "")
    return since is not None and timezone.now() - since < lease


def lease_from_environment(name: str, default_seconds: float) -> timedelta:
    return timedelta(seconds=float(os.environ.get(name, default_seconds)))


def _process_start(pid: int) -> str:
    """Start time of a process in clock ticks since boot ('' when it does not exist)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 and fields[0] not in ("Z", "X") else ""


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""
