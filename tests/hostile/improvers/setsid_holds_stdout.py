# expect: timeout
# Class 3: leaves its session and becomes a long-lived process (marked {MARKER}) holding
# stdout and stderr open, to outlive the run and make the host wait on its output.
import os
import sys


def improve_algorithm(initial_solution, utility, language_model):
    os.setsid()
    code = "import time\nwhile True:\n    print('alive', flush=True)\n    time.sleep(0.05)\n"
    os.execv(sys.executable, [sys.executable, "-c", code, "{MARKER}"])
