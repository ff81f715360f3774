# expect: bad_output
# event: rpc_protocol_error
# Class 1 on the RPC pipe: a request nested 100,000 deep, written straight to the host.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    os.write(int(sys.argv[2]), b'{"op":"call","args":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n")
    return language_model.prompt("expert", "still listening?")[0]
