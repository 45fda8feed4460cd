"""A warm Spark: a Spark run's driver process (its JVM and SparkContext) started before the run, so a
small Spark job ends in seconds instead of waiting for Spark to start.

After a Spark run ends, the server starts one driver for the next run of the same Glue version and
region, in a folder of its own under ``runs/`` with the environment and ``spark-defaults.conf`` a cold
run would get there (:mod:`glue_flow_local.inside_jobs.spark_driver.warm`). The next run that can use it
takes it: the folder becomes the run's folder (its script, files, bucket copy and bookmark go there),
the process is the run's (under the run's supervisor: stop and timeout end it as they end a cold run),
and it serves that run only, then the folder is removed. A run with options a warm Spark was not started
with (``--conf``, ``--extra-jars``, another job environment, ...) starts cold, and its error log says why.
``GLUE_FLOW_LOCAL_WARM_SPARK=false`` turns it off.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from glue_flow_local.glue.jobs.args import INSIDE_JOBS
from glue_flow_local.glue.jobs.relay import Relay
from glue_flow_local.glue.jobs.script_run import spawn_supervised
from glue_flow_local.glue.jobs.spark import runtime as spark_jobs
from glue_flow_local.glue.jobs.spark.prepare import spark_environment, spark_job_environment
from glue_flow_local.settings import Settings

#: The driver a warm Spark runs (``python -u warm.py FD READY_FD``).
DRIVER = INSIDE_JOBS / "spark_driver" / "warm.py"
#: Warm Spark drivers kept at most (each holds a JVM); the least recently used goes first.
MAX_WARM = 2
#: Run arguments a warm Spark cannot serve, and why.
_COLD_ARGUMENTS = {
    "--conf": "sets Spark properties that a JVM reads when it starts",
    "--extra-jars": "puts jars on the class path of the JVM when it starts",
    "--user-jars-first": "changes the class path of the JVM when it starts",
    "--additional-python-modules": "needs a job environment of its own",
    "--python-modules-installer-option": "needs a job environment of its own",
    "--extra-py-files": "puts files on the Python path of the driver when it starts",
}
#: Spark properties a run adds to a warm Spark when it takes it: its bucket mapping and Hive support.
_RUN_PROPERTY_PREFIXES = ("spark.hadoop.fs.viewfs.mounttable.", "spark.hadoop.hive.")
_RUN_PROPERTIES = frozenset({"spark.sql.catalogImplementation"})

#: (Glue version, region) a warm Spark was started for.
WarmKey = tuple[str, str]


def cold_reason(arguments: dict[str, str]) -> str | None:
    """Why a run with these arguments cannot take a warm Spark, or None when it can.

    :param arguments: the run's merged arguments.
    """
    for name, why in _COLD_ARGUMENTS.items():
        if arguments.get(name, "").strip():
            return f"{name} {why}"
    return None


def run_properties(warm: dict[str, str], run: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The Spark properties a run adds to a warm Spark, and those it cannot (it then starts cold).

    :param warm: the warm Spark's properties.
    :param run: the run's properties, for the same folder.
    """
    added: dict[str, str] = {}
    refused: list[str] = sorted(key for key in warm if key not in run)
    for key, value in run.items():
        if warm.get(key) == value:
            continue
        if key in _RUN_PROPERTIES or key.startswith(_RUN_PROPERTY_PREFIXES):
            added[key] = value
        else:
            refused.append(key)
    return added, refused


@dataclass
class WarmSpark:
    """One prepared Spark driver process, waiting for its run.

    :param key: what it was started for.
    :param folder: its folder, which becomes its run's folder.
    :param env: its process environment.
    :param conf: its Spark properties.
    :param process: its supervisor process.
    :param channel: where its run is sent (the write end of a pipe the driver reads).
    :param relays: its stdout and stderr, held until a run takes them.
    :param ready: the read end of the pipe the driver writes to once its SparkContext is up.
    :param ready_file: exists while the driver is ready and not taken (see :meth:`WarmPool.ready_file`).
    """

    key: WarmKey
    folder: Path
    env: dict[str, str]
    conf: dict[str, str]
    process: subprocess.Popen[bytes]
    channel: int
    relays: tuple[Relay, Relay]
    ready: int
    ready_file: Path
    _sent: bool = field(default=False)

    def give(self, argv: list[str], conf: dict[str, str]) -> None:
        """Send the driver its run: the script and its arguments, and the run's own Spark properties.

        :param argv: the script and its arguments.
        :param conf: the Spark properties the run adds (:func:`run_properties`).
        """
        self._send(json.dumps({"argv": argv, "conf": conf}).encode())

    def discard(self, remove_folder: bool = True) -> None:
        """End the driver unused.

        :param remove_folder: also remove its folder (not when it is a run's folder already).
        """
        self.ready_file.unlink(missing_ok=True)
        self._send(b"")
        try:
            self.process.terminate()  # the supervisor kills the driver and its JVM, then exits
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        for relay in self.relays:
            relay.join(timeout=5)
        if remove_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _send(self, data: bytes) -> None:
        if self._sent:
            return
        self._sent = True
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self.channel, view) :]
        except OSError:  # the driver is gone: the run sees its exit status and error output
            pass
        finally:
            os.close(self.channel)


class WarmPool:
    """The warm Spark drivers of one server, at most one per (Glue version, region).

    :param settings: the server settings.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._ready: OrderedDict[WarmKey, WarmSpark] = OrderedDict()
        self._starting: set[WarmKey] = set()
        self._closed = not settings.warm_spark

    @property
    def enabled(self) -> bool:
        """Whether the server keeps warm Spark drivers (``GLUE_FLOW_LOCAL_WARM_SPARK``)."""
        return self._settings.warm_spark

    def take(self, key: WarmKey) -> WarmSpark | None:
        """The warm Spark for a run, or None (none started, or it ended); the run must use or discard it.

        :param key: the run's Glue version and region.
        """
        with self._lock:
            warm = self._ready.pop(key, None)
            if warm is not None:
                warm.ready_file.unlink(missing_ok=True)
        if warm is not None and warm.process.poll() is not None:
            warm.discard()  # its JVM did not start; the run starts cold
            return None
        return warm

    def replenish(self, key: WarmKey) -> None:
        """Start a warm Spark for the next run of this key, unless one is there or starting.

        :param key: the Glue version and region.
        """
        with self._lock:
            if self._closed or key in self._ready or key in self._starting:
                return
            self._starting.add(key)
        # The supervisor ends with the thread that started it (PR_SET_PDEATHSIG): this thread lives
        # until the driver ends.
        threading.Thread(target=self._start, args=(key,), name=f"warm-spark-{key[0]}", daemon=True).start()

    def ready_file(self, key: WarmKey) -> Path:
        """The file that exists while a warm Spark for ``key`` is ready (its SparkContext is up) and not
        taken: ``<state folder>/warm-spark/<Glue version>-<region>.ready``. Benchmarks and tests wait for it.

        :param key: the Glue version and region.
        """
        return self._settings.state_dir / "warm-spark" / f"{key[0]}-{key[1]}.ready"

    def shutdown(self) -> None:
        """Discard every warm Spark; start none from now on."""
        with self._lock:
            self._closed = True
            ready = list(self._ready.values())
            self._ready.clear()
        for warm in ready:
            warm.discard()

    def _start(self, key: WarmKey) -> None:
        try:
            warm = self._spawn(key)
        except Exception:  # noqa: BLE001 - without a warm Spark the next run starts cold
            with self._lock:
                self._starting.discard(key)
            return
        evicted: list[WarmSpark] = []
        with self._lock:
            self._starting.discard(key)
            if self._closed:
                evicted.append(warm)
            else:
                self._ready[key] = warm
                while len(self._ready) > MAX_WARM:
                    evicted.append(self._ready.popitem(last=False)[1])
        for old in evicted:
            old.discard()
        try:
            up = os.read(warm.ready, 1) == b"1"  # nothing when the driver failed to start Spark
        finally:
            os.close(warm.ready)
        with self._lock:
            if up and self._ready.get(key) is warm:
                warm.ready_file.parent.mkdir(exist_ok=True)
                warm.ready_file.write_text(warm.folder.name)
        try:
            os.waitid(os.P_PID, warm.process.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass

    def _spawn(self, key: WarmKey) -> WarmSpark:
        glue_version, region = key
        java, pyspark = spark_jobs.check_runtime("(warm Spark)", glue_version)
        python = spark_environment(glue_version, pyspark)
        folder = self._settings.state_dir / "runs" / f"warm-{secrets.token_hex(8)}"
        folder.mkdir(parents=True)
        conf = spark_jobs.spark_defaults(folder, folder / "s3", [], {}, [])
        spark_jobs.write_conf_dir(folder / "spark-conf", conf)
        spark_jobs.run_tmp_dir(folder).mkdir()
        env = spark_job_environment(self._settings, region, glue_version, python, folder, [])
        env.update(spark_jobs.spark_env(folder, java, python))
        read_end, write_end = os.pipe()
        ready_read, ready_write = os.pipe()
        command = [str(python), "-u", str(DRIVER), str(read_end), str(ready_write)]
        try:
            process = spawn_supervised(command, folder, env, (read_end, ready_write))
        except OSError:
            os.close(write_end)
            os.close(ready_read)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            os.close(read_end)
            os.close(ready_write)
        relays = (Relay(process.stdout), Relay(process.stderr))
        return WarmSpark(key, folder, env, conf, process, write_end, relays, ready_read, self.ready_file(key))
