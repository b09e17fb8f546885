"""Loopback helpers shared by the benchmarks (bench.py, instructions.py)."""
import socket
import time


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout, interval):
    """True once 127.0.0.1:port accepts a connection, False after `timeout` seconds;
    tries every `interval` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(interval)
    return False
