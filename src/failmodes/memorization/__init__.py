"""What a trained model remembers of its training data, by accident or by design.

:mod:`~failmodes.memorization.canaries` plants random records and measures how far the model
singles them out (Carlini et al. 2019, *The Secret Sharer*); :mod:`~failmodes.memorization.encoding`
implements the deliberate encodings of Song, Ristenpart and Shmatikov (2017) and the tests
that find them in a model's parameters. All of it works on NumPy arrays of scores and
parameters; torch is needed only by the correlation-encoding penalty.
"""
