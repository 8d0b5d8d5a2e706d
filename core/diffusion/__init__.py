"""Diffusion (the diffusion Space): the DDPM on diffusers, its objective and samplers."""
