"""The image manifold (the image-manifold Space): embeddings of bent sheets, the emptiness of pixel space, figures."""
