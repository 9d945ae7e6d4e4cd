"""The interrupt / corrupt matrix of #18 on the command line, as a user would meet it.

A reference run of ``simulate theorem1 --settings S1,S2 --reps 40 --workers 2``; then runs
stopped by SIGINT, SIGKILL and SIGTERM once three task files exist (loky processes counted
2 s later, then resumed), and copies of the reference with one checkpoint file emptied,
truncated, byte-flipped, missing a row or replaced by another seed's file (each rerun
plainly and with ``--strict``), and a rerun with changed arguments. "same": the resumed
results equal the reference's (every column but timings). Writes
``benchmarks/results/interrupt_matrix.json``; about 2 minutes on 2 cores.

    python benchmarks/interrupt_matrix.py
"""

import csv
import glob
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
BASE = [
    "-m",
    "tensorcnn",
    "simulate",
    "theorem1",
    "--settings",
    "S1,S2",
    "--reps",
    "40",
    "--workers",
    "2",
    "--quiet",
]


def run(out, extra=(), timeout=600):
    return subprocess.run(
        [PY, *BASE, "--out", out, *extra], capture_output=True, text=True, timeout=timeout
    )


def digest(out):
    rows = list(csv.DictReader(open(Path(out) / "results.csv")))
    keys = [k for k in rows[0] if k not in ("fit_seconds", "cpu_seconds", "task")]
    return hashlib.sha256(json.dumps([[r[k] for k in keys] for r in rows]).encode()).hexdigest()[
        :12
    ], len(rows)


def loky_processes() -> int:
    """Live loky processes on this machine (run the matrix on an otherwise idle one)."""
    out = subprocess.run(["pgrep", "-f", "loky"], capture_output=True, text=True).stdout.split()
    return len(out)


WORK = tempfile.mkdtemp(prefix="interrupt_matrix_")
res = {}
ref = f"{WORK}/ref"
shutil.rmtree(ref, ignore_errors=True)
r = run(ref)
res["reference"] = (r.returncode, digest(ref))
for sig in ("SIGINT", "SIGKILL", "SIGTERM"):
    out = f"{WORK}/{sig}"
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.Popen(
        [PY, *BASE, "--out", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    t0 = time.time()
    while time.time() - t0 < 60:
        if len(glob.glob(out + "/checkpoint/*")) >= 3:
            break
        time.sleep(0.2)
    p.send_signal(getattr(signal, sig))
    rc = p.wait()
    time.sleep(2)
    done = len(glob.glob(out + "/checkpoint/*"))
    orphans = loky_processes()
    r = run(out)
    res[sig] = dict(
        rc_killed=rc,
        files_kept=done,
        loky_procs_after_2s=orphans,
        resume_rc=r.returncode,
        resume_line=[l for l in r.stdout.splitlines() if "wall time" in l][-1:],
        same=digest(out) == digest(ref),
    )


def corrupt(name, fn):
    out = f"{WORK}/{name}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ref, out)
    f = sorted(glob.glob(out + "/checkpoint/*"))[0]
    fn(Path(f))
    r = run(out)
    res[name] = dict(
        rc=r.returncode,
        same=digest(out) == digest(ref) if r.returncode == 0 else None,
        message=[
            l
            for l in (r.stdout + r.stderr).splitlines()
            if "not trusted" in l or "rejected" in l or "recomput" in l or "checkpoint" in l.lower()
        ][:2],
    )
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ref, out)
    f = sorted(glob.glob(out + "/checkpoint/*"))[0]
    fn(Path(f))
    r2 = run(out, ("--strict",))
    res[name]["strict_rc"] = r2.returncode
    res[name]["strict_msg"] = (r2.stderr.strip().splitlines() or [""])[-1][:200]


def empty(p):
    p.write_text("[]")


def trunc(p):
    p.write_text(p.read_text()[:300])


def flip(p):
    b = bytearray(p.read_bytes())
    i = len(b) // 2
    while chr(b[i]) not in "0123456789":
        i += 1
    b[i] = ord("1") if b[i] != ord("1") else ord("2")
    p.write_bytes(bytes(b))


def row_removed(p):
    d = json.loads(p.read_text())
    if isinstance(d, dict):
        for k, v in d.items():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                d[k] = v[:-1]
                break
    p.write_text(json.dumps(d))


def foreign(p):
    other = f"{WORK}/seed1"
    shutil.rmtree(other, ignore_errors=True)
    subprocess.run([PY, *BASE, "--seed", "1", "--out", other], capture_output=True)
    src = sorted(glob.glob(other + "/checkpoint/*"))[0]
    shutil.copy(src, p)


for name, fn in [
    ("empty", empty),
    ("truncated", trunc),
    ("byte_flipped", flip),
    ("row_removed", row_removed),
    ("foreign_seed", foreign),
]:
    corrupt(name, fn)
r = run(ref, ("--reps", "41"))
res["changed_arguments"] = dict(
    rc=r.returncode, msg=(r.stderr.strip().splitlines() or [""])[-1][:250]
)
out_file = Path(__file__).parent / "results" / "interrupt_matrix.json"
out_file.write_text(json.dumps(res, indent=1))
print(json.dumps(res, indent=1))
