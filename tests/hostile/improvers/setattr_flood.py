# expect: ok
# event: proxy_misuse events_capped
# Class 6: refused attribute writes of 4 MB each, straight on the RPC pipe, then thousands more.
import json
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    reader = os.fdopen(os.dup(read_fd), "rb")
    for i in range(5_008):
        value = "x" * (4 << 20) if i < 8 else "y"
        message = {"target": "utility", "op": "setattr", "name": "budget", "value": value}
        os.write(write_fd, (json.dumps(message) + "\n").encode())
        reader.readline()
    return initial_solution
