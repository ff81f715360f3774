"""stop's stand-in for the `openevolve` package, holding only `evaluation_result`.

The package path is extended with any real `openevolve` on sys.path, so an evaluator that also
imports other OpenEvolve modules gets them from a real installation when there is one.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
