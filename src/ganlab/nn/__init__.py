"""Network building blocks shared by families, under the seed-batched convention.

Every network carries a leading seed dimension S: seeded.py has the convention itself (SeedRNG,
seed-batched MLP layers, SeedStack: one network per seed), the other modules the architectures
(DCGAN's conv nets, ProGAN, StyleGAN, the translation nets). nn depends on torch only; families
compose these blocks, nothing here knows a family.
"""
