"""Text-to-image in miniature: a DDPM conditioned on the words of a description, sampled with classifier-free guidance.

The text encoder is a bag of words: each known word has a learned vector and a description is their mean. That
vector is added to the U-Net's timestep embedding (diffusers' `class_embed_type="identity"`), so every block of the
denoiser hears the description. In training the words are thinned at random and now and then dropped altogether
(the "no description" token), so one network learns both p(x | words) and p(x). Guidance (Ho & Salimans 2022)
then mixes its two answers at every step: eps = eps(x | nothing) + w (eps(x | words) - eps(x | nothing)); w = 0 is
the unconditional model, w = 1 the plain conditional one, w > 1 pushes samples towards what the words single out.

Real text-to-image models do the same with a transformer's text embedding, cross-attention and billions of
captioned images; this one knows only the words of about 3,400 emoji.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from core.diffusion.model import DiffusionModel, PyTorchModelHubMixin, Trajectory, sample

PAD, NOTHING = 0, 1  # word ids: padding (ignored by the mean) and "no description" (the unconditional model)
MAX_WORDS = 24
STOPWORDS = frozenset(["a", "an", "and", "of", "the", "with", "in", "on", "for", "to", "at", "or", "by"])


def words_of(text: str) -> list[str]:
    """'Red heart, smileys & emotion' -> ['red', 'heart', 'smileys', 'emotion']: lower-case letters, no stopwords."""
    return [w for w in re.findall(r"[a-z]+", str(text).lower()) if w not in STOPWORDS]


class TextToImageModel(DiffusionModel):
    """A `DiffusionModel` whose U-Net also hears a description: `vocabulary` is the words it knows, in id order.

    Args (beyond DiffusionModel's):
        vocabulary: the known words; word i has id i + 2 (0 pads, 1 is "no description").
        word_gain: the description vector is the words' mean times this. The U-Net adds it to its timestep
            embedding (norm 2-5); small word vectors (norm ~0.3 after 6,000 steps at gain 1) moved the
            embedding less than a neighbouring timestep does, and the pictures hardly depended on the words.
    """

    def __init__(self, vocabulary: tuple[str, ...] = (), image_size: int = 32, channels: int = 3,
                 block_channels: tuple[int, ...] = (64, 128, 128), attention_levels: tuple[int, ...] = (1, 2),
                 layers_per_block: int = 2, num_train_timesteps: int = 1000, beta_schedule: str = "squaredcos_cap_v2",
                 norm_groups: int = 8, prediction_type: str = "epsilon", word_gain: float = 10.0):
        super().__init__(image_size=image_size, channels=channels, block_channels=block_channels,
                         attention_levels=attention_levels, layers_per_block=layers_per_block,
                         num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule,
                         norm_groups=norm_groups, prediction_type=prediction_type, class_embed_type="identity")
        self.vocabulary, self.word_gain = tuple(vocabulary), float(word_gain)
        self.word_ids = {word: i + 2 for i, word in enumerate(self.vocabulary)}
        embedding_size = 4 * block_channels[0]  # the U-Net's timestep-embedding width
        self.words = nn.EmbeddingBag(len(self.vocabulary) + 2, embedding_size, mode="mean", padding_idx=PAD)
        nn.init.normal_(self.words.weight, std=0.02)
        with torch.no_grad():
            self.words.weight[PAD].zero_()

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, list[list[str]]]:
        """(B, MAX_WORDS) word ids for each description, and the words it does not know (left out)."""
        ids = torch.full((len(texts), MAX_WORDS), PAD, dtype=torch.long)
        unknown = []
        for row, text in enumerate(texts):
            words = words_of(text)
            known = list(dict.fromkeys(self.word_ids[w] for w in words if w in self.word_ids))[:MAX_WORDS] or [NOTHING]
            ids[row, : len(known)] = torch.tensor(known)
            unknown.append([w for w in dict.fromkeys(words) if w not in self.word_ids])
        return ids, unknown

    def nothing(self, count: int) -> torch.Tensor:
        """The word ids of "no description", (count, MAX_WORDS)."""
        ids = torch.full((count, MAX_WORDS), PAD, dtype=torch.long)
        ids[:, 0] = NOTHING
        return ids

    def forward(self, noisy: torch.Tensor, timesteps: torch.Tensor, word_ids: torch.Tensor | None = None) -> torch.Tensor:
        if word_ids is None:
            word_ids = self.nothing(len(noisy))
        description = self.word_gain * self.words(word_ids.to(noisy.device))
        return self.unet(noisy, timesteps, class_labels=description).sample

    # the U-Net and the word vectors are one module: saved whole (model.safetensors), not in diffusers' layout
    def _save_pretrained(self, save_directory) -> None:
        PyTorchModelHubMixin._save_pretrained(self, save_directory)

    @classmethod
    def _from_pretrained(cls, **kwargs):
        return PyTorchModelHubMixin._from_pretrained.__func__(cls, **kwargs)


@torch.no_grad()
def sample_from_text(model: TextToImageModel, text: str, seeds: list[int], steps: int = 25, guidance: float = 3.0,
                     record: bool = False) -> Trajectory:
    """One image per seed for the description `text`, DDIM with classifier-free guidance `guidance`; [-1, 1].

    Guidance 0 asks only the unconditional model (one network call per step); otherwise both answers come from
    one batched call. DDIM (eta 0) is deterministic given the seed.
    """
    count = len(seeds)  # `sample` refuses no seeds and a step count out of range
    words, _ = model.encode([text] * count)
    nothing = model.nothing(count)

    def guided(x, timesteps):
        if guidance == 0:
            return model(x, timesteps, nothing)
        conditional, unconditional = model(torch.cat([x, x]), torch.cat([timesteps, timesteps]),
                                           torch.cat([words, nothing])).chunk(2)
        return unconditional + guidance * (conditional - unconditional)

    return sample(model, seeds, steps, "ddim", record=record, network=guided)
