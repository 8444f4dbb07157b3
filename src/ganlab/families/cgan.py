"""Conditional GAN (Mirza & Osindero, 2014) on DCGAN's networks: the class is given to both
players. The generator gets the one-hot class concatenated to z; the discriminator gets it as
extra input channels (the one-hot vector broadcast over the image), a common convolutional
form of the paper's concatenation. Losses, optimiser and widths as in `dcgan`.
"""
from __future__ import annotations

from ganlab import losses
from ganlab.families.dcgan import DCGAN


class CGAN(DCGAN):
    name = "cgan"
    needs_labels = True
    d_in_class = True

    def train_step(self, real, rng):
        B = self.cfg.batch_size
        for _ in range(self.cfg.d_steps):
            x, y = real.labeled(B)
            z = self.latent(B, rng)
            fake = self.G(z).detach()
            d_real, d_fake = self.critic(x, y), self.critic(fake, self.latent_labels(z))
            loss_d = losses.d_bce(d_real, d_fake)
            grad_d = self.update(self.opt_d, self.D, loss_d)
        z = self.latent(B, rng)
        loss_g = losses.g_non_saturating(self.critic(self.G(z), self.latent_labels(z)))
        grad_g = self.update(self.opt_g, self.G, loss_g)
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": d_real.sigmoid().mean(1).detach(), "d_fake": d_fake.sigmoid().mean(1).detach(),
                "grad_d": grad_d, "grad_g": grad_g}


FAMILY = CGAN
