# expect: ok-empty
# limits: max_processes=3
# repeat: 4
# Class 4: a helper daemon (new session, double fork) serving work over an abstract unix socket,
# for later calls in the same worker to outsource their computation to.
import os
import socket
import time

NAME = "\0stop-hostile-helper"


def main(ctx):
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(NAME)
        probe.sendall(b"solve")
        return "a helper from an earlier call answered: " + probe.recv(100).decode()
    except OSError:
        pass
    finally:
        probe.close()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(NAME)
            server.listen()
            while True:
                conn, _ = server.accept()
                conn.sendall(b"0.91")
                conn.close()
        os._exit(0)
    time.sleep(0.2)  # the helper is up and listening when the call returns
    return None
