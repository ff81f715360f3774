# expect: bad_output
# event: rpc_protocol_error
# Class 1 on the RPC pipe: a call whose argument is an integer of 400 digits.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    message = '{"op":"call","target":"utility","method":"__call__","args":[%d]}\n' % 10**400
    os.write(int(sys.argv[2]), message.encode())
    return initial_solution
