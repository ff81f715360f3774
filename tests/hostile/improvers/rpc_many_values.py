# expect: bad_output
# event: rpc_protocol_error
# Class 2 on the RPC pipe, new: 7 MB of tiny containers in one call (~200 MB once parsed).
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    args = b",".join([b'{"a":[]}'] * 800_000)
    message = b'{"target":"utility","op":"call","method":"__call__","args":[' + args + b"]}\n"
    os.write(int(sys.argv[2]), message)
    return language_model.prompt("expert", "still listening?")[0]
