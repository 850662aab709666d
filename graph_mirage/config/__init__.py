"""Configuration, in one place: names and defaults (:mod:`.defaults`), the datasets graph-mirage knows by name
(:mod:`.datasets`) and the authors' released settings (:mod:`.presets`).

Everything here is plain data and imports nothing heavy (no PyTorch, no PyG), so the command line builds its parser
and validates options from it in milliseconds. Configuration flows one way: the library and the command line read it;
nothing here reads them.
"""
