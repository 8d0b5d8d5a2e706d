"""Style transfer (Gatys et al. 2016; Johnson et al. 2016): features whose Gram matrices describe a style."""
