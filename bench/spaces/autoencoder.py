"""Autoencoder Space: encode/decode one digit, decode a latent point, interpolate."""

from bench.harness import Case


def cases(app):
    return [
        Case("reconstruct one example digit", lambda: app.reconstruct(None, 7)),
        Case("decode a latent point + map + hole distance", lambda: app.decode_point(0.0, 0.0)),
        Case("interpolate 8 steps (pixel + latent + map)", lambda: app.interpolate(60, 360, 8)),
    ]
