"""Adversarial pieces several topics use: GAN losses and R1, DiffAugment, feature losses, the realism critic."""
