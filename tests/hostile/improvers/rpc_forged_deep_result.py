# expect: bad_output
# event: rpc_protocol_error
# Class 1: a forged final result whose value is nested 100,000 deep.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    value = b"[" * 100_000 + b"]" * 100_000
    os.write(int(sys.argv[2]), b'{"op":"result","status":"ok","value":' + value + b"}\n")
    os._exit(0)
