"""Framing engine: codebook, passages, embeddings, frame labels."""
