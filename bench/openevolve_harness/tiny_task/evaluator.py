"""combined_score = 1 / (1 + |run() - 7|): 1 for exactly 7, less the further away."""

import importlib.util


def evaluate(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    program = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(program)
    value = float(program.run())
    return {"combined_score": 1.0 / (1.0 + abs(value - 7.0))}
