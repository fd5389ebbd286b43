"""The one progress type: the core names its own stages (lvqac_core.progress); a callback written for
plain fractions keeps working."""
from __future__ import annotations

import pytest

from lvqac_testing import smooth_image, tiny_codec
from lvqac_core import progress as P
from lvqac_core.errors import InputError
from lvqac_core.service import decode, encode


def _stages(steps):
    out = []
    for s in steps:
        if not out or out[-1] != s.stage:
            out.append(s.stage)
    return out


@pytest.mark.parametrize("architecture", ["minnen2018-mean", "minnen2018-ckbd"])
def test_encode_and_decode_name_their_stages_in_order(architecture):
    codec = tiny_codec(architecture)
    enc_steps, dec_steps = [], []
    enc = encode(codec, smooth_image(40, 56), decode_check=True, ms_ssim=False,
                 progress=enc_steps.append, decode_progress=dec_steps.append)
    assert all(isinstance(s, P.Progress) for s in enc_steps + dec_steps)
    assert _stages(enc_steps) == [P.READING, P.ANALYSING, P.CODING, P.SYNTHESIS, P.MEASURING]
    assert _stages(dec_steps) == [P.DECODING_HYPERPRIOR, P.DECODING_LATENTS, P.SYNTHESIS]
    for steps in (enc_steps, dec_steps):
        fractions = [float(s) for s in steps]
        assert fractions == sorted(fractions) and fractions[0] >= 0.0 and fractions[-1] == 1.0
    plain = []
    decode(enc.result.data, lambda header: codec, progress=lambda f: plain.append(f * 1.0))  # plain floats
    assert plain[-1] == 1.0


def test_progress_helpers():
    seen = []
    P.scaled(P.staged(seen.append, "outer"), 0.5, 1.0)(P.Progress(0.5, "inner"))
    P.staged(seen.append, "outer")(0.25)
    assert [(float(s), s.stage) for s in seen] == [(0.75, "inner"), (0.25, "outer")]
    assert P.stage_of(0.3) == "" and repr(P.Progress(0.5, "x")) == "Progress(0.5, 'x')"
    with pytest.raises(InputError):
        P.report(5, 0.5)
