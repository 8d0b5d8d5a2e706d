"""pix2pix (the pix2pix Space): U-Net generator, PatchGAN discriminator, the paired tasks."""
