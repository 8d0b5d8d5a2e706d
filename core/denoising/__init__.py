"""Denoising (the denoising Space): the trained network and the classical filters it is compared with."""
