"""'Which face is real?' (the which-face-is-real Space): the game and its answer log."""
