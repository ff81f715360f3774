"""Hand-written improvers, one per strategy (and some with none), for the strategy tests.

Each entry: name -> (source, the labels it must get). Sources are data, never imported.
"""

GENETIC = """
import random
from helpers import extract_code

def improve_algorithm(initial_solution, utility, language_model):
    population = [initial_solution]
    for generation in range(3):
        children = []
        for parent in population:
            mutation = language_model.batch_prompt("expert", [f"Mutate:\\n{parent}"])[0]
            children.append(extract_code(mutation))
        a, b = random.sample(population + children, 2)
        crossover = language_model.batch_prompt("expert", [f"Combine\\n{a}\\nwith\\n{b}"])[0]
        children.append(extract_code(crossover))
        population = [c for c in population + children if c]
    return population[0]
"""

BEAM = """
from helpers import extract_code

def improve_algorithm(initial_solution, utility, language_model):
    beam_width = 3
    frontier = [(utility(initial_solution), initial_solution)]
    for _ in range(language_model.budget):
        candidates = list(frontier)
        for _, solution in frontier:
            answers = language_model.batch_prompt("expert", [f"Improve:\\n{solution}"] * 2)
            for code in extract_code(answers):
                if code:
                    candidates.append((utility(code), code))
        frontier = sorted(candidates, reverse=True)[:beam_width]
    return frontier[0][1]
"""

BEAM_NO_NAME = """
import heapq

def improve_algorithm(initial_solution, utility, language_model):
    pool = [(utility(initial_solution), initial_solution)]
    for _ in range(3):
        new = []
        for _, s in pool:
            new += [(utility(c), c) for c in language_model.prompt("x", s, n_responses=2)]
        pool = heapq.nlargest(2, pool + new)
    return pool[0][1]
"""

ANNEALING = """
import math
import random

def improve_algorithm(initial_solution, utility, language_model):
    current, current_score = initial_solution, utility(initial_solution)
    best, best_score = current, current_score
    temperature = 1.0
    for step in range(language_model.budget):
        [candidate] = language_model.batch_prompt("expert", [current])
        score = utility(candidate)
        delta = score - current_score
        if delta > 0 or random.random() < math.exp(delta / temperature):
            current, current_score = candidate, score
        if current_score > best_score:
            best, best_score = current, current_score
        temperature *= 0.7
    return best
"""

BANDIT = """
import math

PROMPTS = ["Make it faster:\\n{}", "Make it more accurate:\\n{}", "Rewrite it:\\n{}"]

def improve_algorithm(initial_solution, utility, language_model):
    counts = [0] * len(PROMPTS)
    rewards = [0.0] * len(PROMPTS)
    best, best_score = initial_solution, utility(initial_solution)
    for t in range(1, language_model.budget + 1):
        ucb = [
            rewards[i] / counts[i] + math.sqrt(2 * math.log(t) / counts[i]) if counts[i] else 1e9
            for i in range(len(PROMPTS))
        ]
        arm = ucb.index(max(ucb))
        [candidate] = language_model.batch_prompt("expert", [PROMPTS[arm].format(best)])
        score = utility(candidate)
        counts[arm] += 1
        rewards[arm] += score
        if score > best_score:
            best, best_score = candidate, score
    return best
"""

EPSILON = """
import random

def improve_algorithm(initial_solution, utility, language_model):
    styles = ["concise", "careful"]
    value = {s: 0.0 for s in styles}
    eps = 0.2
    best = initial_solution
    for _ in range(3):
        style = random.choice(styles) if random.random() < eps else max(value, key=value.get)
        [c] = language_model.batch_prompt(style, [best])
        value[style] = utility(c)
    return best
"""

DECOMPOSITION = """
import ast

def improve_algorithm(initial_solution, utility, language_model):
    tree = ast.parse(initial_solution)
    parts = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    improved = initial_solution
    for part in parts:
        message = f"Improve only the function {part.name}, one function at a time:\\n{improved}"
        [answer] = language_model.batch_prompt("expert", [message])
        if utility(answer) > utility(improved):
            improved = answer
    return improved
"""

TEMPERATURES = """
def improve_algorithm(initial_solution, utility, language_model):
    best, best_score = initial_solution, utility(initial_solution)
    for temperature in (0.2, 0.6, 1.0):
        for c in language_model.batch_prompt("expert", [best], temperature=temperature):
            s = utility(c)
            if s > best_score:
                best, best_score = c, s
    return best
"""

TWO_TEMPERATURES = """
def improve_algorithm(initial_solution, utility, language_model):
    safe = language_model.batch_prompt("expert", [initial_solution], temperature=0.2)
    wild = language_model.batch_prompt("expert", [initial_solution], temperature=1.2)
    return max(safe + wild, key=utility)
"""

CRITIQUE = """
def improve_algorithm(initial_solution, utility, language_model):
    [review] = language_model.batch_prompt(
        "expert", [f"Critique this solution and list its weaknesses:\\n{initial_solution}"]
    )
    [answer] = language_model.batch_prompt(
        "expert", [f"Fix these problems:\\n{review}\\n\\n{initial_solution}"]
    )
    return answer if utility(answer) > utility(initial_solution) else initial_solution
"""

RESTARTS = """
def improve_algorithm(initial_solution, utility, language_model):
    best, best_score = initial_solution, utility(initial_solution)
    for attempt in range(2):
        current = initial_solution
        for step in range(2):
            [current] = language_model.batch_prompt("expert", [current])
        score = utility(current)
        if score > best_score:
            best, best_score = current, score
    return best
"""

HILL_CLIMB = """
def improve_algorithm(initial_solution, utility, language_model):
    best, best_score = initial_solution, utility(initial_solution)
    for _ in range(language_model.budget):
        for candidate in language_model.batch_prompt("expert", [best] * 3):
            score = utility(candidate)
            if score > best_score:
                best, best_score = candidate, score
    return best
"""

ONE_SHOT = '''
from helpers import extract_code

def improve_algorithm(initial_solution, utility, language_model):
    """Ask once, keep the best of the answers."""
    answers = language_model.batch_prompt("expert", ["Improve:\\n" + initial_solution] * 4)
    best, best_score = initial_solution, utility(initial_solution)
    for code in extract_code(answers):
        if code and utility(code) > best_score:
            best, best_score = code, utility(code)
    return best
'''

IDENTITY = """
def improve_algorithm(initial_solution, utility, language_model):
    return initial_solution
"""

COMMENT_ONLY = """
def improve_algorithm(initial_solution, utility, language_model):
    # TODO: try simulated annealing, a genetic algorithm with crossover, or beam search
    [answer] = language_model.batch_prompt("expert", [initial_solution], temperature=0.7)
    return answer
"""

BROKEN_GENETIC = """
def improve_algorithm(initial_solution, utility, language_model):
    population = [mutate(x) for x in crossover(
"""

CASES: dict[str, tuple[str, frozenset[str]]] = {
    "genetic": (GENETIC, frozenset({"genetic_algorithm"})),
    "beam": (BEAM, frozenset({"beam_search"})),
    "beam without the word": (BEAM_NO_NAME, frozenset({"beam_search"})),
    "annealing": (ANNEALING, frozenset({"simulated_annealing", "hill_climbing"})),
    "ucb bandit": (BANDIT, frozenset({"bandit", "hill_climbing"})),
    "epsilon-greedy": (EPSILON, frozenset({"bandit"})),
    "decomposition": (DECOMPOSITION, frozenset({"decomposition"})),
    "temperature loop": (TEMPERATURES, frozenset({"temperature_schedule", "hill_climbing"})),
    "two temperatures": (TWO_TEMPERATURES, frozenset({"temperature_schedule"})),
    "self-critique": (CRITIQUE, frozenset({"self_critique"})),
    "restarts": (RESTARTS, frozenset({"restarts", "hill_climbing"})),
    "hill climbing": (HILL_CLIMB, frozenset({"hill_climbing"})),
    "one shot (none)": (ONE_SHOT, frozenset()),
    "identity (none)": (IDENTITY, frozenset()),
    "strategy only in a comment (none)": (COMMENT_ONLY, frozenset()),
    "unparsable, named in code": (BROKEN_GENETIC, frozenset({"genetic_algorithm"})),
}
