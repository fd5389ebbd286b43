"""The checkpoint keys do not move: every architecture × quantizer builds exactly the
state_dict keys the models had before the latent codecs were split out (lists taken from main at
3748a4b, written as the union of the parts each model is made of), so the shipped zoo, the golden
model and users' checkpoints keep loading without a key mapping."""
from __future__ import annotations

import pytest
import torch

from lvqac_core.models import build_model


def _keys(text: str) -> set[str]:
    return set(text.split())


COMMON = _keys("""
entropy_bottleneck._cdf_length entropy_bottleneck._offset entropy_bottleneck._quantized_cdf
entropy_bottleneck.biases.0 entropy_bottleneck.biases.1 entropy_bottleneck.biases.2
entropy_bottleneck.biases.3 entropy_bottleneck.biases.4 entropy_bottleneck.factors.0
entropy_bottleneck.factors.1 entropy_bottleneck.factors.2 entropy_bottleneck.factors.3
entropy_bottleneck.likelihood_lower_bound.bound entropy_bottleneck.matrices.0
entropy_bottleneck.matrices.1 entropy_bottleneck.matrices.2 entropy_bottleneck.matrices.3
entropy_bottleneck.matrices.4 entropy_bottleneck.quantiles entropy_bottleneck.target g_a.6.bias
g_a.6.weight h_a.0.bias h_a.0.weight h_a.2.bias h_a.2.weight h_a.4.bias h_a.4.weight h_s.0.bias
h_s.0.weight h_s.4.bias h_s.4.weight lower_bound_scale.bound
""")

BACKBONE = {
    "minnen": _keys("""
g_a.0.bias g_a.0.weight g_a.1.beta g_a.1.beta_reparam.lower_bound.bound g_a.1.beta_reparam.pedestal
g_a.1.gamma g_a.1.gamma_reparam.lower_bound.bound g_a.1.gamma_reparam.pedestal g_a.2.bias
g_a.2.weight g_a.3.beta g_a.3.beta_reparam.lower_bound.bound g_a.3.beta_reparam.pedestal g_a.3.gamma
g_a.3.gamma_reparam.lower_bound.bound g_a.3.gamma_reparam.pedestal g_a.4.bias g_a.4.weight
g_a.5.beta g_a.5.beta_reparam.lower_bound.bound g_a.5.beta_reparam.pedestal g_a.5.gamma
g_a.5.gamma_reparam.lower_bound.bound g_a.5.gamma_reparam.pedestal g_s.0.bias g_s.0.weight
g_s.1.beta g_s.1.beta_reparam.lower_bound.bound g_s.1.beta_reparam.pedestal g_s.1.gamma
g_s.1.gamma_reparam.lower_bound.bound g_s.1.gamma_reparam.pedestal g_s.2.bias g_s.2.weight
g_s.3.beta g_s.3.beta_reparam.lower_bound.bound g_s.3.beta_reparam.pedestal g_s.3.gamma
g_s.3.gamma_reparam.lower_bound.bound g_s.3.gamma_reparam.pedestal g_s.4.bias g_s.4.weight
g_s.5.beta g_s.5.beta_reparam.lower_bound.bound g_s.5.beta_reparam.pedestal g_s.5.gamma
g_s.5.gamma_reparam.lower_bound.bound g_s.5.gamma_reparam.pedestal g_s.6.bias g_s.6.weight
h_s.2.bias h_s.2.weight
"""),
    "cheng": _keys("""
g_a.0.conv1.bias g_a.0.conv1.weight g_a.0.conv2.bias g_a.0.conv2.weight g_a.0.gdn.beta
g_a.0.gdn.beta_reparam.lower_bound.bound g_a.0.gdn.beta_reparam.pedestal g_a.0.gdn.gamma
g_a.0.gdn.gamma_reparam.lower_bound.bound g_a.0.gdn.gamma_reparam.pedestal g_a.0.skip.bias
g_a.0.skip.weight g_a.1.conv1.bias g_a.1.conv1.weight g_a.1.conv2.bias g_a.1.conv2.weight
g_a.2.conv1.bias g_a.2.conv1.weight g_a.2.conv2.bias g_a.2.conv2.weight g_a.2.gdn.beta
g_a.2.gdn.beta_reparam.lower_bound.bound g_a.2.gdn.beta_reparam.pedestal g_a.2.gdn.gamma
g_a.2.gdn.gamma_reparam.lower_bound.bound g_a.2.gdn.gamma_reparam.pedestal g_a.2.skip.bias
g_a.2.skip.weight g_a.3.conv1.bias g_a.3.conv1.weight g_a.3.conv2.bias g_a.3.conv2.weight
g_a.4.conv1.bias g_a.4.conv1.weight g_a.4.conv2.bias g_a.4.conv2.weight g_a.4.gdn.beta
g_a.4.gdn.beta_reparam.lower_bound.bound g_a.4.gdn.beta_reparam.pedestal g_a.4.gdn.gamma
g_a.4.gdn.gamma_reparam.lower_bound.bound g_a.4.gdn.gamma_reparam.pedestal g_a.4.skip.bias
g_a.4.skip.weight g_a.5.conv1.bias g_a.5.conv1.weight g_a.5.conv2.bias g_a.5.conv2.weight
g_s.0.conv1.bias g_s.0.conv1.weight g_s.0.conv2.bias g_s.0.conv2.weight g_s.0.skip.bias
g_s.0.skip.weight g_s.1.conv.bias g_s.1.conv.weight g_s.1.igdn.beta
g_s.1.igdn.beta_reparam.lower_bound.bound g_s.1.igdn.beta_reparam.pedestal g_s.1.igdn.gamma
g_s.1.igdn.gamma_reparam.lower_bound.bound g_s.1.igdn.gamma_reparam.pedestal
g_s.1.subpel_conv.0.bias g_s.1.subpel_conv.0.weight g_s.1.upsample.0.bias g_s.1.upsample.0.weight
g_s.2.conv1.bias g_s.2.conv1.weight g_s.2.conv2.bias g_s.2.conv2.weight g_s.3.conv.bias
g_s.3.conv.weight g_s.3.igdn.beta g_s.3.igdn.beta_reparam.lower_bound.bound
g_s.3.igdn.beta_reparam.pedestal g_s.3.igdn.gamma g_s.3.igdn.gamma_reparam.lower_bound.bound
g_s.3.igdn.gamma_reparam.pedestal g_s.3.subpel_conv.0.bias g_s.3.subpel_conv.0.weight
g_s.3.upsample.0.bias g_s.3.upsample.0.weight g_s.4.conv1.bias g_s.4.conv1.weight g_s.4.conv2.bias
g_s.4.conv2.weight g_s.5.conv.bias g_s.5.conv.weight g_s.5.igdn.beta
g_s.5.igdn.beta_reparam.lower_bound.bound g_s.5.igdn.beta_reparam.pedestal g_s.5.igdn.gamma
g_s.5.igdn.gamma_reparam.lower_bound.bound g_s.5.igdn.gamma_reparam.pedestal
g_s.5.subpel_conv.0.bias g_s.5.subpel_conv.0.weight g_s.5.upsample.0.bias g_s.5.upsample.0.weight
g_s.6.conv1.bias g_s.6.conv1.weight g_s.6.conv2.bias g_s.6.conv2.weight g_s.7.0.bias g_s.7.0.weight
h_a.6.bias h_a.6.weight h_a.8.bias h_a.8.weight h_s.2.0.bias h_s.2.0.weight h_s.6.0.bias
h_s.6.0.weight h_s.8.bias h_s.8.weight
"""),
}

CONTEXT = _keys("""
context.bias context.mask context.weight entropy_parameters.0.bias entropy_parameters.0.weight
entropy_parameters.2.bias entropy_parameters.2.weight entropy_parameters.4.bias
entropy_parameters.4.weight
""")  # the checkerboard and the raster-scan orders alike

COMPANDING = _keys("""
a_head.net.0.bias a_head.net.0.weight a_head.net.2.bias a_head.net.2.weight quantizer.log_v
""")  # LVQAC only; scalar and LVQ add nothing

ARCHITECTURES = {  # name: (backbone, has a context model)
    "minnen2018-mean": ("minnen", False),
    "minnen2018-ckbd": ("minnen", True),
    "minnen2018": ("minnen", True),
    "cheng2020-ckbd": ("cheng", True),
    "cheng2020": ("cheng", True),
}


@pytest.mark.parametrize("quantizer", ["scalar", "lvq", "lvqac"])
@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_state_dict_keys_are_unchanged(architecture, quantizer):
    backbone, has_context = ARCHITECTURES[architecture]
    want = COMMON | BACKBONE[backbone] | (CONTEXT if has_context else set()) | (
        COMPANDING if quantizer == "lvqac" else set())
    torch.manual_seed(0)
    model = build_model(architecture=architecture, quantizer=quantizer, N=8, M=12)
    assert sorted(model.state_dict()) == sorted(want)


def test_every_registered_architecture_is_listed():
    from lvqac_core.models import ARCHITECTURES as REGISTERED

    assert sorted(REGISTERED) == sorted(ARCHITECTURES)
