"""A real single-node SLURM cluster for the sweep tests and `.ci/run` (standard library only).

``python3 tests/sweeps/slurm_cluster.py start`` installs Debian's ``slurm-wlm`` and ``munge``
with apt if they are missing (root only), writes a minimal ``slurm.conf`` for this machine to
:data:`CONF_DIR`, and starts ``munged`` (as user munge), ``slurmctld`` and ``slurmd``; it does
nothing if that cluster already answers. ``stop`` ends the daemons it started (by their pid
files). The recipe (also in the README):

* ``ProctrackType=proctrack/linuxproc`` and ``TaskPlugin=task/none``: no cgroups, which a
  container does not delegate;
* ``SelectType=select/cons_tres``: jobs share the node by cores and memory;
* one node named ``$(hostname -s)`` with ``CPUs=$(nproc)`` and 90% of its memory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

CONF_DIR = Path(os.environ.get("SCALINGLAB_SLURM_DIR", "/tmp/scalinglab-slurm"))
PACKAGES = ("slurm-wlm", "munge")
DAEMONS = ("slurmctld", "slurmd", "munged", "sinfo", "sbatch", "scancel", "squeue")


def conf_path() -> Path:
    return CONF_DIR / "slurm.conf"


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here (None if it can)."""
    if all(shutil.which(d) or Path(f"/usr/sbin/{d}").exists() for d in DAEMONS):
        return None if os.geteuid() == 0 else "the SLURM daemons need root to start"
    if os.geteuid() != 0:
        return "slurm-wlm and munge are not installed and installing them needs root"
    if shutil.which("apt-get") is None:
        return "slurm-wlm and munge are not installed and apt-get is not available"
    return None


def install() -> None:
    """Install slurm-wlm and munge with apt (root) if a daemon is missing."""
    if all(shutil.which(d) or Path(f"/usr/sbin/{d}").exists() for d in DAEMONS):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env,
                   capture_output=True)  # fmt: skip


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(int(line.split()[1]) / 1024 * 0.9)
    return 1024


def write_conf() -> Path:
    """The minimal slurm.conf of a one-node cluster on this machine."""
    node = socket.gethostname().split(".")[0]
    for sub in ("state", "spool", "log"):
        (CONF_DIR / sub).mkdir(parents=True, exist_ok=True)
    text = f"""\
ClusterName=scalinglab
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation={CONF_DIR}/state
SlurmdSpoolDir={CONF_DIR}/spool
SlurmctldPidFile={CONF_DIR}/slurmctld.pid
SlurmdPidFile={CONF_DIR}/slurmd.pid
SlurmctldLogFile={CONF_DIR}/log/slurmctld.log
SlurmdLogFile={CONF_DIR}/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
NodeName={node} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
    path = conf_path()
    path.write_text(text)
    return path


def env() -> dict[str, str]:
    """The environment for SLURM commands talking to this cluster."""
    return {**os.environ, "SLURM_CONF": str(conf_path())}


def answering() -> bool:
    """True when the cluster's node is up (idle, mixed or allocated)."""
    if not conf_path().exists():
        return False
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env(), capture_output=True,
                             text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    states = out.stdout.split()
    return out.returncode == 0 and any(
        s.rstrip("*") in ("idle", "mixed", "allocated") for s in states
    )


def _munge_running() -> bool:
    return subprocess.run(["munge", "-n"], capture_output=True).returncode == 0


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def start(timeout: float = 60.0) -> list[str]:
    """Install if needed and start the daemons that are not running; return those started."""
    install()
    started = []
    if not _munge_running():
        run_dir = Path("/run/munge")
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_dir, "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True)
        started.append("munged")
    if answering():
        return started
    write_conf()
    if _pid_alive(CONF_DIR / "slurmctld.pid") is None:
        subprocess.run(["/usr/sbin/slurmctld", "-f", str(conf_path())], check=True, env=env())
        started.append("slurmctld")
    if _pid_alive(CONF_DIR / "slurmd.pid") is None:
        subprocess.run(["/usr/sbin/slurmd", "-f", str(conf_path())], check=True, env=env())
        started.append("slurmd")
    deadline = time.monotonic() + timeout
    while not answering():
        if time.monotonic() > deadline:
            log = (CONF_DIR / "log" / "slurmctld.log").read_text()[-2000:]
            raise RuntimeError(f"the SLURM node did not come up within {timeout:.0f} s:\n{log}")
        time.sleep(0.5)
    return started


def stop(daemons: list[str]) -> None:
    """End the daemons in ``daemons`` that this module started (by their pid files)."""
    pidfiles = {"slurmd": CONF_DIR / "slurmd.pid", "slurmctld": CONF_DIR / "slurmctld.pid",
                "munged": Path("/run/munge/munged.pid")}  # fmt: skip
    for name, pidfile in pidfiles.items():
        if name in daemons and (pid := _pid_alive(pidfile)) is not None:
            os.kill(pid, 15)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "start":
        reason = unavailable_reason()
        if reason:
            print(f"SLURM cluster not started: {reason}")
        else:
            print(f"SLURM cluster up ({conf_path()}); started: {', '.join(start()) or 'none'}")
    elif command == "stop":
        stop(["slurmd", "slurmctld", "munged"])
    else:
        sys.exit(f"usage: {sys.argv[0]} [start|stop]")
