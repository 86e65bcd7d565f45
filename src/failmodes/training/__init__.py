"""Training small PyTorch classifiers: the loop the deep-learning probes and the digits example
share (reference models for membership inference, canary runs, backdoored twins).

Everything here needs the ``torch`` extra; import the submodules only where torch is wanted.
"""
