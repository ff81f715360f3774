"""Language models: one protocol, backends chosen by a model string, a recorder/cache and the
budgeted proxy that improvers hold.

    base        Message, Completion, the LanguageModel protocol
    registry    parse_model_spec / open_model: model string -> model (recorded when given a store)
    recorder    RecordingModel: every sample a row of lm_calls; the cache behind exact reruns
    budget      BudgetedLanguageModel: the improver-facing proxy (design §2)
    scripted    ScriptedModel: the shipped fake used by tests
    llamacpp, openai_compat, anthropic_backend, replay: the backends
"""

from stop.lm.base import Completion, LanguageModel, Message
from stop.lm.budget import BudgetedLanguageModel
from stop.lm.registry import ModelSpec, open_model, parse_model_spec
from stop.lm.scripted import ScriptedModel

__all__ = [
    "BudgetedLanguageModel",
    "Completion",
    "LanguageModel",
    "Message",
    "ModelSpec",
    "ScriptedModel",
    "open_model",
    "parse_model_spec",
]
