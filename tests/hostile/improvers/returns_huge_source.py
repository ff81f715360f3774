# expect: bad_output
# Class 1/6: a "solution" of 2 MB, more than any solution source may be (it would be stored).
def improve_algorithm(initial_solution, utility, language_model):
    return "# padding\n" * 200_000 + initial_solution
