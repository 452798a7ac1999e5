"""Race prediction: a leakage-free baseline model over point-in-time form and the pre-race card.

Pure Python over pandas and scikit-learn (no Dagster): `features` chooses the columns, `model`
trains and scores, `evaluation` walks forward week by week, `artefact` keeps a version's files,
`registry` versions, serves and promotes models, `plots` draws the evaluation.
"""
