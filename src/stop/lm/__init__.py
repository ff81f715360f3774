"""Language models: one protocol, backends chosen by a model string, a recorder/cache and the
budgeted proxy that improvers hold."""
