# expect: bad_output
# event: rpc_protocol_error
# Class 1 on the RPC pipe, new: 2.5 MB made to make a backtracking string scanner quadratic.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    os.write(int(sys.argv[2]), b"[" * 101 + b'"' + b'\\"' * 1_200_000 + b"\n")
    return language_model.prompt("expert", "still listening?")[0]
