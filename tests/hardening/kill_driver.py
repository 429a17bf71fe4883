#!/usr/bin/python3
"""Kills qatc with SIGKILL at seeded random points and checks what is left.

  kill_driver.py train QATC WORK GRAPH DATA SEED KILLS
      Trains GRAPH uninterrupted, then again with KILLS kills at random
      moments, each attempt resuming from the last checkpoint; the final
      parameters (the output .qirb) must be byte-identical to the
      uninterrupted run's, and no temporary may remain.
  kill_driver.py finalize QATC WORK GRAPH OLDGRAPH SEED KILLS
      Finalizes GRAPH to a package KILLS times, killing each run at a random
      moment; after every kill the target is absent (a fresh target) or the
      previous complete package (an existing target), or the complete new
      package, never anything else. A last run completes and must leave no
      temporary behind.
Prints one line of figures; exits non-zero with the reason on failure."""
import filecmp
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def run(args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed_run(args):
    start = time.monotonic()
    run(args)
    return time.monotonic() - start


def temporaries(work, name):
    return sorted(f for f in os.listdir(work) if f.startswith("." + name + ".tmp-"))


def kill_at(args, delay):
    """Starts args, kills it after delay seconds; True if it was still running."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return alive


def fail(message):
    sys.exit("FAILED: " + message)


def train(qatc, work, graph, data, seed, kills):
    common = [qatc, "train", graph, "--data", data, "--steps", "600", "--batch-size", "16",
              "--lr", "0.02", "--momentum", "0.9", "--seed", "7", "--threads", "2",
              "--checkpoint-every", "1"]
    ref = os.path.join(work, "ref.qirb")
    seconds = timed_run(common + ["--checkpoint", os.path.join(work, "ref.ckpt"), "-o", ref])
    out, ckpt = os.path.join(work, "killed.qirb"), os.path.join(work, "killed.ckpt")
    rng = random.Random(seed)
    landed = 0
    for _ in range(kills):
        resume = ["--resume"] if os.path.exists(ckpt) else []
        # Each attempt gets a random share of a run, so the kills spread over
        # start-up, steps, checkpoint writes and the final write.
        if kill_at(common + ["--checkpoint", ckpt, "-o", out] + resume,
                   rng.uniform(0.0, 1.6 * seconds / kills)):
            landed += 1
            if os.path.exists(out) and not filecmp.cmp(out, ref, shallow=False):
                fail("a killed run left an output that differs from the uninterrupted run's")
    run(common + ["--checkpoint", ckpt, "-o", out] + (["--resume"] if os.path.exists(ckpt) else []))
    if not filecmp.cmp(out, ref, shallow=False):
        fail("the resumed parameters differ from the uninterrupted run's")
    left = temporaries(work, "killed.qirb") + temporaries(work, "killed.ckpt")
    if left:
        fail("temporaries remain: " + ", ".join(left))
    print(f"train: {kills} attempts, {landed} killed mid-run, uninterrupted run {seconds:.2f} s; "
          "resumed result byte-identical")


def same_tree(a, b):
    """Whether directories a and b hold the same files with the same bytes."""
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(
        same_tree(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def finalize(qatc, work, graph, old_graph, seed, kills):
    new_ref, old_ref = os.path.join(work, "new.mlpackage"), os.path.join(work, "old.mlpackage")
    seconds = timed_run([qatc, "finalize", graph, "-o", new_ref])
    run([qatc, "finalize", old_graph, "-o", old_ref])
    if same_tree(new_ref, old_ref):
        fail("the two reference packages should differ")
    target = os.path.join(work, "target.mlpackage")
    rng = random.Random(seed)
    landed = strays = 0
    for i in range(kills):
        replacing = i % 2 == 1
        shutil.rmtree(target, ignore_errors=True)
        if replacing:
            shutil.copytree(old_ref, target)
        before = set(temporaries(work, "target.mlpackage"))
        if kill_at([qatc, "finalize", graph, "-o", target], rng.uniform(0.0, 1.3 * seconds)):
            landed += 1
        strays += len(set(temporaries(work, "target.mlpackage")) - before)
        if os.path.exists(target):
            if not (same_tree(target, new_ref) or (replacing and same_tree(target, old_ref))):
                fail(f"kill {i} left a package that is neither the old nor the new one")
        elif replacing:
            fail(f"kill {i} lost the package that was being replaced")
    run([qatc, "finalize", graph, "-o", target])
    if not same_tree(target, new_ref):
        fail("the final package differs from the reference")
    left = temporaries(work, "target.mlpackage")
    if left:
        fail("temporaries remain after a complete run: " + ", ".join(left))
    print(f"finalize: {kills} attempts, {landed} killed mid-run, {strays} left a temporary that "
          f"the next write swept; uninterrupted run {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "train":
        qatc, work, graph, data, seed, kills = rest
        train(qatc, work, graph, data, int(seed), int(kills))
    else:
        qatc, work, graph, old_graph, seed, kills = rest
        finalize(qatc, work, graph, old_graph, int(seed), int(kills))
