"""The per-position probe (lvqac_core.position_probe): it reproduces the encoder's choices and
bits, and a what-if re-runs the coding pass with one choice forced."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lvqac_core.api import Codec
from lvqac_core.entropy.tables import scale_levels
from lvqac_core.errors import InputError
from lvqac_core.metrics import psnr
from lvqac_core.models import build_model
from lvqac_core.position_probe import PositionProbe
from lvqac_testing import smooth_image

IMAGE = smooth_image(80, 100)  # 5 × 7 latent positions inside the image (grid 8 × 8)


def _codec(quantizer: str, **options) -> Codec:
    torch.manual_seed(0)
    model = build_model(architecture="minnen2018-ckbd", quantizer=quantizer, N=16, M=16, lmbda=0.0075,
                        quantizer_options=options)
    if quantizer == "lvqac":  # an untrained head predicts A ≈ 1 everywhere: vary it
        with torch.no_grad():
            model.a_head.net[-1].weight.normal_(0, 0.3)
            model.a_head.net[-1].bias.fill_(0.5)
    return Codec.from_model(model, model_id=f"probe-{quantizer}")


@pytest.fixture(scope="module", params=["scalar", "lvq", "lvqac", "lvqac-sigma"])
def coded(request):
    quantizer, _, span = request.param.partition("-")
    options = {} if quantizer == "scalar" else {"selection_coding": "rans"}
    if span:  # the σ-scaled compander: V = κ·σ_level per coefficient
        options.update(compander="exp", v_scale=span, v_init=8.0)  # κ 8: most r inside the span
    codec = _codec(quantizer, **options)
    return codec, codec.compress(IMAGE), PositionProbe(codec.model, IMAGE)


def test_probe_reproduces_the_encoder(coded):
    codec, res, probe = coded
    h, w = res.maps.bits.shape
    assert (probe.rows, probe.cols) == (h, w) == (5, 7)
    z = np.repeat(np.repeat(probe.z_bits.numpy(), 4, 0), 4, 1)[:h, :w]
    np.testing.assert_allclose(probe.base.bits.numpy()[:h, :w] + z, res.maps.bits, atol=1e-4)
    if res.maps.selection is not None:
        np.testing.assert_array_equal(probe.base.selection[0].numpy()[:, :h, :w], res.maps.selection)
    if res.maps.a_law is not None:
        np.testing.assert_allclose(probe.base.a_val[0, 0].numpy()[:h, :w], res.maps.a_law)
    # the decoded crop of the probe is the encoder's reconstruction
    block = (16, 16, 80, 64)
    np.testing.assert_array_equal(probe._decode_block(probe.base.y_hat, block),
                                  res.reconstruction[16:64, 16:80])


def test_inspect_reports_the_choice(coded):
    codec, res, probe = coded
    q = codec.model.quantizer
    for row, col in ((0, 0), (2, 3), (4, 6)):
        rep = probe.inspect(row, col)
        assert rep.block == (col * 16, row * 16, min(100, col * 16 + 16), min(80, row * 16 + 16))
        assert rep.mu.shape == rep.sigma.shape == rep.residual.shape == (16,)
        assert np.all(rep.sigma > 0)
        assert rep.bits == pytest.approx(res.maps.bits[row, col] - rep.z_bits, abs=1e-3)
        assert rep.channel_bits.sum() == pytest.approx(rep.latent_bits)
        assert rep.anchor == ((row + col) % 2 == 0)
        if codec.quantizer == "scalar":
            assert rep.chosen is None and rep.a is None and rep.what_ifs == ()
            assert len(rep.codebooks) == 1
            np.testing.assert_allclose(rep.codebooks[0].r_point, rep.r_hat, atol=1e-3)  # ŷ sits on the exact nets' grid
            continue
        assert rep.chosen == (int(res.maps.selection[0, row, col]),)
        chosen, other = rep.codebooks[rep.chosen[0]], rep.codebooks[1 - rep.chosen[0]]
        assert chosen.distortion <= other.distortion  # the closest point of the union lattice
        np.testing.assert_allclose(chosen.r_point, rep.r_hat, atol=1e-3)
        p = rep.chosen_probability[0]
        assert 0 < p < 1 and rep.selection_bits == pytest.approx(-np.log2(p))
        if codec.quantizer == "lvq":
            assert rep.a is None and rep.what_ifs == ("flip",)
            np.testing.assert_allclose(rep.u, rep.residual)
        else:
            assert rep.a == pytest.approx(float(res.maps.a_law[row, col]))
            assert rep.what_ifs == ("flip", "a1")
            half, a = torch.tensor(0.5, dtype=torch.float64), torch.tensor(rep.a, dtype=torch.float64)
            if q.needs_sigma_level:  # V = κ·σ_level: each channel's zero cell; the report gives their median
                level = scale_levels(torch.from_numpy(rep.sigma).double())
                cells = 2 * q.cell_domain().from_u(half.expand_as(level), a, level)
                assert rep.zero_cell_width == pytest.approx(float(cells.median()))
            else:
                assert rep.zero_cell_width == pytest.approx(float(2 * q.cell_domain().from_u(half, a)))
            assert rep.zero_cell_width < 1.0  # A > 1 (A-law): finer cells near zero


def test_what_if_flip_reruns_the_context(coded):
    codec, res, probe = coded
    if codec.quantizer == "scalar":
        with pytest.raises(InputError):
            probe.what_if(2, 2, "flip")
        with pytest.raises(InputError):
            probe.what_if(2, 2, "a1")
        return
    base_bits = float(probe.base.bits.sum())
    for row, col in ((2, 2), (2, 3)):  # an anchor, then a position of the second pass
        wi = probe.what_if(row, col, "flip")
        assert wi.bits_before == pytest.approx(base_bits)
        alt = probe._pass(flip_at=(row, col))
        assert alt.selection[0, 0, row, col] != probe.base.selection[0, 0, row, col]
        assert wi.bits_after == pytest.approx(float(alt.bits.sum()))
        assert wi.delta_bits != 0
        changed = (alt.y_hat != probe.base.y_hat).any(dim=1)[0]
        # an anchor's ŷ feeds its neighbours' context: they get new (μ, σ) and are re-coded
        assert wi.changed_positions == int(changed.sum()) and (wi.changed_positions > 1) == ((row + col) % 2 == 0)
        x0, y0, x1, y1 = wi.block
        assert x0 <= col * 16 and y0 <= row * 16 and x1 >= col * 16 + 16 and y1 >= row * 16 + 16
        ref = res.reconstruction[y0:y1, x0:x1]
        assert wi.psnr_before == pytest.approx(psnr(IMAGE[y0:y1, x0:x1], ref))
        assert np.isfinite(wi.delta_psnr)


def test_what_if_a_equals_one(coded):
    codec, res, probe = coded
    if codec.quantizer != "lvqac":
        if codec.quantizer == "lvq":
            with pytest.raises(InputError):
                probe.what_if(1, 1, "a1")
        return
    row, col = 1, 2
    assert probe.inspect(row, col).a > 1.0
    wi = probe.what_if(row, col, "a1")
    alt = probe._pass(a1_at=(row, col))
    assert float(alt.a_val[0, 0, row, col]) == 1.0
    assert wi.bits_after == pytest.approx(float(alt.bits.sum())) and wi.delta_bits != 0
    assert wi.note == ""


def test_outside_the_image_is_refused(coded):
    _codec_, _res, probe = coded
    with pytest.raises(InputError):
        probe.inspect(5, 0)  # the grid's sixth row covers padding only
    with pytest.raises(InputError):
        probe.what_if(0, 0, "nonsense")
