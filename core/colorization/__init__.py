"""Colourization (the colorization Space): the network, quantized ab bins, the view of a prediction."""
