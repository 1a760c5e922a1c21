"""drumaae: drum synthesis and rhythmic transformation with adversarial autoencoders.

Implements the AAE with a Gaussian-mixture prior (AAE-GM) of Tomczak, Goto and Hockman,
"Drum Synthesis and Rhythmic Transformation with Adversarial Autoencoders", ACM MM 2020.
Importing this package does not import TensorFlow; submodules do.
"""

from drumaae.version import __version__

__all__ = ["__version__"]
