# expect: bad_output
# event: rpc_protocol_error
# Class 2: 9 MB on the RPC pipe without a newline, for the host to buffer.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    chunk = b"x" * (1 << 20)
    for _ in range(9):
        os.write(int(sys.argv[2]), chunk)
    return language_model.prompt("expert", "still listening?")[0]
