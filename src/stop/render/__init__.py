"""Untrusted text made inert: the one place each output format gets it from.

Model-written code, LM answers, exception texts, task names, READMEs and run ids are all data
that someone else chose. Before any of it is shown or written it goes through one of these:

    terminal.inert(*parts)    -> Text  rich text, controls spelt out, `[…]`, `:emoji:` as written
    html.code_lines(source)   -> list  the lines of code exactly as Python counts them
    html.mark_controls(text)  -> Markup  escaped HTML, invisible and bidi characters boxed
    html.visible(text)        -> str   plain text with invisible characters spelt out
    html.finalize(value)      -> Any   Jinja's finalize: every template value made `visible`
    tabular.csv_cell(value)   -> Any   a CSV cell a spreadsheet never runs as a formula
    jsonsafe.dumps(value)     -> str   strict JSON: no lone surrogates, no NaN or Infinity

The characters treated as invisible are defined once, in `controls`.
"""
