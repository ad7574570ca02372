"""Drives the Lakehouse (Java) kernel as Jupyter does, to press its stop button during a cell.

Usage: interrupt_cells.py <cells.json> <result.json>
cells.json: a list of {"code": ..., "interrupt_when": null | {"file": path} | {"after_seconds": s}},
the condition optionally with "again_after_seconds": s. Each cell runs in turn; when its condition
holds (the file exists, or the cell has been running that long) the kernel is interrupted, as the
notebook's stop button does (an interrupt_request, the kernel spec's interrupt_mode being
"message"), and once more that many seconds later if asked and the cell still runs. result.json gets, per cell: its reply status, the
text of its streams and error, and the seconds from the interrupt to the reply. The kernel
(JUPYTER_PATH must lead to it) gets this process's environment.
"""
import json
import os
import queue
import sys
import time

from jupyter_client.manager import KernelManager

CELL_TIMEOUT = 600


def run_cell(km, kc, cell):
    msg_id = kc.execute(cell["code"])
    started = time.time()
    when = cell.get("interrupt_when")
    interrupted_at = None
    again = False
    texts = []
    while True:
        if when and interrupted_at is None and (
                ("file" in when and os.path.exists(when["file"]))
                or ("after_seconds" in when and time.time() - started >= when["after_seconds"])):
            km.interrupt_kernel()
            interrupted_at = time.time()
        if (when and interrupted_at is not None and not again and "again_after_seconds" in when
                and time.time() - interrupted_at >= when["again_after_seconds"]):
            km.interrupt_kernel()
            again = True
        if time.time() - started > CELL_TIMEOUT:
            raise SystemExit("cell did not end in %d s: %s" % (CELL_TIMEOUT, "".join(texts)))
        try:
            msg = kc.get_iopub_msg(timeout=0.2)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            texts.append(content["text"])
        elif kind == "error":
            texts.append("ERROR " + content["ename"] + ": " + content["evalue"] + "\n")
        elif kind in ("execute_result", "display_data"):
            texts.append(content["data"].get("text/plain", "") + "\n")
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    return {
        "status": reply["content"]["status"],
        "output": "".join(texts),
        "interrupted": interrupted_at is not None,
        "seconds_to_reply": None if interrupted_at is None else round(time.time() - interrupted_at, 1),
    }


def main(cells_file, result_file):
    with open(cells_file) as f:
        cells = json.load(f)
    km = KernelManager(kernel_name="lakehouse-java")
    km.start_kernel()
    results = []
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=300)
        for cell in cells:
            results.append(run_cell(km, kc, cell))
            with open(result_file, "w") as f:
                json.dump(results, f, indent=1)
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
