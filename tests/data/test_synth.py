import numpy as np
import pytest
from scipy import signal

from drumaae.data.corpus import KitRenderer
from drumaae.data.hydrogen import HAND_ROLES, Kit
from drumaae.data.synth import (FAMILY_ROLES, MAX_SECONDS, SYNTH_FAMILIES, SYNTH_SOURCE,
                                SynthVoiceLoader, synth_kit)
from drumaae.errors import DataError

SR = 22050


@pytest.fixture(scope="module")
def loader():
    return SynthVoiceLoader(SR)


def _centroid(x):
    power = np.abs(np.fft.rfft(x)) ** 2
    return float(np.sum(power * np.fft.rfftfreq(len(x), 1 / SR)) / np.sum(power))


def _pitch_track(x):
    """Semitones of the strongest partial per 46 ms frame (frames within 30 dB of the loudest)."""
    f, _, z = signal.stft(x, SR, nperseg=1024, noverlap=1024 - 128, nfft=16384)
    mag = np.abs(z)
    loud = mag.max(axis=0) > mag.max() * 10 ** (-30 / 20)
    peak = f[np.argmax(mag[:, loud], axis=0)]
    return 12 * np.log2(np.maximum(peak, 1.0))


def _layer(kit, role, kind):
    return [ly.path for ly in kit.roles[role][0].layers if ly.path.split(":")[-1].startswith(kind)]


def test_kit_roles_layers_and_metadata():
    for family in SYNTH_FAMILIES:
        kit = synth_kit(3, family)
        assert isinstance(kit, Kit) and kit.usable
        assert (kit.name, kit.path) == (f"synth {family} 3", f"synth:{family}:3")
        assert kit.family == family and kit.source == SYNTH_SOURCE == "synth"
        assert set(FAMILY_ROLES[family]) <= set(kit.roles)
        for inst in kit.instruments:
            assert inst.id == inst.name == inst.role
            assert 2 <= len(inst.layers) <= 4
            assert all(ly.path.startswith(f"synth:{family}:3:{inst.role}:") for ly in inst.layers)
            # every velocity is covered by some layer
            for vel in np.linspace(0, 1, 21):
                assert any(ly.min_velocity <= vel <= ly.max_velocity for ly in inst.layers)
    electronic = synth_kit(3, "electronic")
    assert {"ride", "crash"} & set(electronic.roles)
    assert sum(r in HAND_ROLES for r in synth_kit(3, "hand_percussion").roles) >= 5
    assert synth_kit(3, "acoustic") == synth_kit(3, "acoustic")


def test_every_role_renders_a_normalised_decaying_hit(loader):
    for family in SYNTH_FAMILIES:
        for inst in synth_kit(11, family).instruments:
            x = loader(inst.layers[0].path)
            assert x.dtype == np.float32 and x.ndim == 1, inst.role
            assert np.all(np.isfinite(x)), inst.role
            assert 0.01 * SR <= len(x) <= MAX_SECONDS * SR, inst.role
            assert abs(float(np.max(np.abs(x))) - 1.0) < 1e-5, inst.role
            assert np.max(np.abs(x[-16:])) < 1e-3, inst.role  # faded to silence
            q = len(x) // 4
            assert np.sqrt(np.mean(x[-q:] ** 2)) < 0.3 * np.sqrt(np.mean(x[:q] ** 2)), inst.role


def test_same_path_same_samples_other_seed_other_sound():
    a, b = SynthVoiceLoader(SR), SynthVoiceLoader(SR)
    path = synth_kit(5, "electronic").roles["snare"][0].layers[0].path
    np.testing.assert_array_equal(a(path), b(path))
    other = synth_kit(6, "electronic").roles["snare"][0].layers[0].path
    x, y = a(path), a(other)
    n = min(len(x), len(y))
    assert len(x) != len(y) or not np.allclose(x[:n], y[:n], atol=1e-3)


def test_kits_of_different_seeds_differ_and_round_robins_differ_slightly(loader):
    kicks = [loader(synth_kit(s, "electronic").roles["kick"][0].layers[-1].path)
             for s in range(4)]
    assert len({(len(x), round(_centroid(x))) for x in kicks}) == 4
    lengths = {len(loader(synth_kit(s, "acoustic").roles["tom_low"][0].layers[0].path))
               for s in range(4)}
    assert len(lengths) > 1
    layers = synth_kit(2, "acoustic").roles["snare"][0].layers
    x, y = loader(layers[0].path), loader(layers[1].path)
    assert not np.array_equal(x[:100], y[:100])
    assert abs(np.log2(_centroid(x) / _centroid(y))) < 1.5  # the same drum, not another


def test_kick_energy_low_and_closed_hat_energy_high(loader):
    for family in ("electronic", "acoustic"):
        for seed in range(4):
            kit = synth_kit(seed, family)
            for ly in kit.roles["kick"][0].layers:
                assert _centroid(loader(ly.path)) < 300
            for ly in kit.roles["hat_closed"][0].layers:
                assert _centroid(loader(ly.path)) > 4000


def test_hand_drums_have_glides_that_move_the_pitch(loader):
    moved = 0
    for seed in range(4):
        kit = synth_kit(seed, "hand_percussion")
        for role in ("conga_high", "conga_low", "bongo_high", "bongo_low"):
            glides = _layer(kit, role, "glide")
            assert glides, (seed, role)
            for path in glides:
                track = _pitch_track(loader(path))
                assert np.ptp(track) >= 2.0, path
                moved += 1
            for path in _layer(kit, role, "tone"):
                assert np.ptp(_pitch_track(loader(path))) < 1.5, path
    assert moved >= 16


def test_kit_plays_through_the_kit_renderer(loader):
    kit = synth_kit(9, "hand_percussion")
    renderer = KitRenderer(kit, SR, loader=loader)
    inst = kit.roles["conga_low"][0]
    layer = renderer.pick_layer(inst, 0.8, np.random.default_rng(0))
    assert renderer.sample(layer.path) is renderer.sample(layer.path)


@pytest.mark.parametrize("path", [
    "synth:electronic:1:kick", "hydrogen:electronic:1:kick:soft0", "synth:jazz:1:kick:soft0",
    "synth:electronic:-1:kick:soft0", "synth:electronic:x:kick:soft0",
    "synth:hand_percussion:1:kick:soft0", "synth:electronic:1:kick:glide9",
    "/tmp/kick.wav",
])
def test_bad_paths_raise_data_error(loader, path):
    with pytest.raises(DataError):
        loader(path)


@pytest.mark.parametrize("seed,family", [(1, "jazz"), (-1, "acoustic"), (1.5, "acoustic"),
                                         (True, "acoustic")])
def test_bad_kits_raise_data_error(seed, family):
    with pytest.raises(DataError):
        synth_kit(seed, family)


@pytest.mark.parametrize("sample_rate", [16000, 44100])
def test_other_sample_rates(sample_rate):
    load = SynthVoiceLoader(sample_rate)
    for family in SYNTH_FAMILIES:
        for inst in synth_kit(4, family).instruments:
            x = load(inst.layers[-1].path)
            assert np.all(np.isfinite(x)) and abs(float(np.max(np.abs(x))) - 1.0) < 1e-5
            assert len(x) <= MAX_SECONDS * sample_rate
    with pytest.raises(DataError):
        SynthVoiceLoader(4000)
