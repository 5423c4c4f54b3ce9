"""camprint's deep-learning engine: trains camera classifiers on the data sets of
docs/dl-format.md and writes model folders (checkpoints, events, ONNX) for the TypeScript side.

Entry points: ``python3 -m engine.train``, ``engine.export``, ``engine.evaluate``, ``engine.networks``.
"""
