"""'Which face is real?' (the which-face-is-real Space): the game, its face pools and matched pairs, the
discriminator's evidence, and the answer log with its classes."""
