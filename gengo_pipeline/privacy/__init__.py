"""Privacy-preserving synthesis: mask a real table, learn a differentially private gengo model, report.

- `masking`, `pseudonym`, `rules`, `kanonymity`: `gengo mask` (keyed pseudonyms, replacements from gengo's
  vocabularies, generalization, suppression, noise) and its k-anonymity report.
- `noise`, `accounting`, `domains`, `fit`, `writer`: `gengo learn`, an MST-style fit (Gaussian-noised 1-way and
  2-way marginals on a spanning tree picked by the exponential mechanism) whose every release goes through an
  OpenDP privacy filter, written as an ordinary gengo model file.
- `metrics`, `report`: `gengo privacy-report` (fidelity and privacy of a synthetic table against the real one).
"""
