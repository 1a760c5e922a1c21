"""drumaae: adversarial autoencoder drum synthesis and rhythmic transformation."""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def _version() -> str:
    scope: dict = {}
    with open(os.path.join(HERE, "drumaae", "version.py"), encoding="utf-8") as f:
        exec(f.read(), scope)  # noqa: S102 - our own one-line version file
    return scope["__version__"]


# The verified set (README.md, "Install and run"): TF 2.16 needs numpy < 2 and protobuf < 5, and
# tensorflow-io 0.37 does not load on TF >= 2.18.
INSTALL_REQUIRES = [
    "tensorflow==2.16.2",
    "tensorflow-io==0.37.1",
    "keras==3.15.1",
    "numpy==1.26.4",
    "protobuf<5",
    "librosa==0.11.0",
    "mlflow==3.17.2",
    "click>=8.5,<8.6",
    "soundfile>=0.12",
    "pyyaml>=6",
    "matplotlib>=3.7",
    "mir_eval>=0.7",
    # ITU-R BS.1770 loudness of output bars (drumaae/audio/loudness.py)
    "pyloudnorm==0.2.0",
    "scipy==1.17.1",
    # Corpus processing chains (drumaae/data/processing.py). The soundfont kits also need
    # tinysoundfont==0.3.7, installed with --no-deps (docs/corpus.md): its one dependency,
    # pyaudio, is for live playback, has no wheel and needs portaudio headers to build.
    "pedalboard==0.9.26",
    # Kit samples are resampled with soxr directly (librosa's own resampler, without its
    # slow first call): drumaae/data/corpus.py.
    "soxr==1.1.0",
    # Room impulse responses for the corpus's recording realism (drumaae/data/realism.py).
    # audiomentations is not used: every release requires soxr<1, against the pin above.
    "pyroomacoustics==0.10.1",
]

setup(
    name="drumaae",
    version=_version(),
    description="Drum synthesis and rhythmic transformation with adversarial autoencoders "
    "(AAE-GM, Tomczak et al. 2020) in Keras 3 / TensorFlow",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11,<3.12",
    # The CLI installs as `drumaae_cli` (source folder cli/), the benchmarks as
    # `drumaae_bench` (bench/, outside the library; `drumaae bench` runs them) and the recipes
    # as `drumaae.recipes` (recipes/), so none claims a generic top-level name.
    packages=find_packages(include=["drumaae", "drumaae.*"])
    + ["drumaae_cli", "drumaae_bench", "drumaae.recipes"],
    package_dir={"drumaae_cli": "cli", "drumaae_bench": "bench", "drumaae.recipes": "recipes"},
    include_package_data=True,
    package_data={"drumaae": ["assets/*", "assets/**/*"], "drumaae.recipes": ["*.yaml"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={
        "gpu": ["tensorflow[and-cuda]==2.16.2"],
        "dev": ["pytest>=8", "pytest-timeout>=2.3"],
    },
    entry_points={"console_scripts": ["drumaae=drumaae_cli.main:main"]},
)
