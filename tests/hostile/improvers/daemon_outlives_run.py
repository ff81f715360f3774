# expect: ok
# limits: max_processes=3
# Class 3/4: starts a helper daemon (new session, double fork, marked {MARKER}) and returns at
# once, so the helper can serve later runs and candidates.
import os
import sys
import time


def improve_algorithm(initial_solution, utility, language_model):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            code = "import time\nwhile True:\n    time.sleep(0.05)\n"
            os.execv(sys.executable, [sys.executable, "-c", code, "{MARKER}"])
        os._exit(0)
    time.sleep(0.3)
    return initial_solution
