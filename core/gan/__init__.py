"""GANs (the gan Space): DCGAN and StyleGAN2-style networks, sampling in z and w, the 2-D GAN lab."""
