"""Autoencoders (the autoencoder Space): the network, its objective, the latent map, drawn digits."""
