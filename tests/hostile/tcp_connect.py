# expect: violation
import socket


def main(ctx):
    s = socket.create_connection(("127.0.0.1", ctx["port"]), timeout=1)
    s.sendall(b"exfiltrated")
    return "connected"
