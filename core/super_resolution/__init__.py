"""x4 super-resolution (the super-resolution Space): the network and its composite loss."""
